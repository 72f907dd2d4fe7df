import type { MessageView } from '@chat/contracts';
import { eventually, newUserId, TestStack, type TestClient } from './support/harness';

const GROUP_CAP = 3;

function collect(c: TestClient, event: string): any[] {
  const seen: any[] = [];
  c.socket.on(event, (p: unknown) => seen.push(p));
  return seen;
}

/**
 * Nobody is put in a group without consent: a create or add makes members only of the actor's contacts
 * (users who wrote to the actor one-to-one), or of users whose groupAdds setting says so; the others are
 * invited and join by accepting. And one user is in at most MAX_GROUPS_PER_USER groups.
 */
describe('group consent', () => {
  const t = new TestStack({ env: { MAX_GROUPS_PER_USER: String(GROUP_CAP) } });
  beforeAll(() => t.start(), 120_000);
  afterAll(() => t.stop(), 60_000);

  async function user() {
    const id = newUserId();
    return { id, token: await t.token(id) };
  }

  /** `from` writes to `to` one-to-one, stored: `from` is `to`'s contact from then on. */
  async function writeTo(from: { id: string; token: string }, to: { id: string }) {
    const room = await t.http('POST', '/chat/conversation', { token: from.token, body: { user1: from.id, user2: to.id } });
    const roomId = room.body.conversation.id as string;
    const sent = await t.http('POST', '/chat/messages', {
      token: from.token,
      body: { receiverId: to.id, roomId, content: 'hi', clientMsgId: 'c-1' },
    });
    expect(sent.status).toBe(202);
    await eventually(async () => (await t.storedMessages(roomId, from.token)).length === 1, 'stored');
    return roomId;
  }

  const members = async (groupId: string, token: string) => (await t.http('GET', `/chat/groups/${groupId}/members`, { token })).body;
  const pendingInvites = async (token: string) => (await t.http('GET', '/chat/groups/invites', { token })).body.invites as any[];
  const setGroupAdds = async (token: string, groupAdds: string) =>
    expect((await t.http('PATCH', '/chat/me/settings', { token, body: { groupAdds } })).body.settings.groupAdds).toBe(groupAdds);

  async function created(token: string, memberIds: string[], name = 'team') {
    const r = await t.http('POST', '/chat/groups', { token, body: { name, memberIds } });
    expect(r.status).toBe(202);
    await eventually(async () => (await t.http('GET', `/chat/groups/${r.body.groupId}/members`, { token })).status === 200, 'group stored');
    return r.body as { groupId: string; added: string[]; invited: string[] };
  }

  it('a create adds the creator’s contacts, invites a stranger, who gets no group message until accepting', async () => {
    const [a, friend, stranger] = [await user(), await user(), await user()];
    // a one-to-one room the stranger did not write in: opening one takes one side only, it proves no consent
    await writeTo(friend, a);
    await writeTo(a, stranger);
    const [sf, ss] = await Promise.all([t.connect(friend.token, 0), t.connect(stranger.token, 1)]);
    const invites = collect(ss, 'group_invite');
    const sa = await t.connect(a.token, 0);
    const updates = collect(sa, 'group_updated');

    const g = await created(a.token, [friend.id, stranger.id]);
    expect({ added: g.added, invited: g.invited }).toEqual({ added: [friend.id], invited: [stranger.id] });
    await ss.waitFor(() => invites.length === 1, 'the stranger is invited');
    expect(invites[0]).toEqual({ inviteId: expect.any(String), groupId: g.groupId, name: 'team', inviterId: a.id });
    await sa.waitFor(() => updates.some((u) => u.op === 'create'), 'the creator told');
    expect(updates.find((u) => u.op === 'create')).toMatchObject({
      affected: [a.id, friend.id],
      invited: [{ userId: stranger.id, inviteId: invites[0].inviteId }],
    });
    expect(await members(g.groupId, a.token)).toEqual({ groupId: g.groupId, members: [a.id, friend.id], admins: [a.id] });
    expect((await pendingInvites(stranger.token)).map((i) => i.inviteId)).toEqual([invites[0].inviteId]);

    // not a member: nothing of the group reaches the stranger, who cannot read or write in it
    const before = (await sa.request('send_group_message', { groupId: g.groupId, content: 'before', clientMsgId: 'b-1' }))
      .message as MessageView;
    await sf.waitFor(() => sf.received.some((m) => m.id === before.id), 'the friend got it');
    expect((await t.http('GET', `/chat/groups/${g.groupId}/messages`, { token: stranger.token })).status).toBe(404);
    expect((await ss.request('send_group_message', { groupId: g.groupId, content: 'me too?' })).ok).toBe(false);

    const yes = await t.http('PATCH', `/chat/groups/invite/${invites[0].inviteId}/respond`, {
      token: stranger.token,
      body: { accept: true },
    });
    expect(yes.status).toBe(202);
    await eventually(async () => (await members(g.groupId, a.token)).members.includes(stranger.id), 'the stranger joined');
    const after = (await sa.request('send_group_message', { groupId: g.groupId, content: 'after', clientMsgId: 'b-2' }))
      .message as MessageView;
    // the group's messages arrive in order: had 'before' been sent to the stranger, it would have come first
    await ss.waitFor(() => ss.received.some((m) => m.id === after.id), 'the new member got the later message');
    expect(ss.received.filter((m) => m.groupId === g.groupId).map((m) => m.content)).toEqual(['after']);
  });

  it('an add invites a stranger and adds a contact; groupAdds everyone lets anyone add, nobody makes even a contact an invite', async () => {
    const [a, friend, stranger, shy] = [await user(), await user(), await user(), await user()];
    await writeTo(friend, a);
    await writeTo(shy, a);
    expect((await t.http('GET', '/chat/me/settings', { token: shy.token })).body.settings).toEqual({
      showPresence: true,
      groupAdds: 'contacts',
      pushPreview: true,
    });
    await setGroupAdds(shy.token, 'nobody');
    const g = await created(a.token, []);

    const add = async (userIds: string[]) => {
      const r = await t.http('POST', `/chat/groups/${g.groupId}/members`, { token: a.token, body: { userIds } });
      expect(r.status).toBe(202);
      return { added: r.body.added, invited: r.body.invited };
    };
    expect(await add([stranger.id, friend.id, shy.id])).toEqual({ added: [friend.id], invited: [stranger.id, shy.id] });
    // the invites are written with the command: once both are listed, the add is applied
    await eventually(
      async () => (await pendingInvites(stranger.token)).length === 1 && (await pendingInvites(shy.token)).length === 1,
      'both invited',
    );
    expect((await members(g.groupId, a.token)).members).toEqual([a.id, friend.id]);

    await setGroupAdds(stranger.token, 'everyone');
    expect(await add([stranger.id])).toEqual({ added: [stranger.id], invited: [] });
    await eventually(async () => (await members(g.groupId, a.token)).members.includes(stranger.id), 'the stranger added');
    expect((await members(g.groupId, a.token)).members).toEqual([a.id, friend.id, stranger.id]);
  });

  it(`refuses with 409 LIMIT_REACHED creating, being added or accepting beyond ${GROUP_CAP} groups`, async () => {
    const [u, admin] = [await user(), await user()];
    await setGroupAdds(u.token, 'everyone');
    const mine: string[] = [];
    for (let i = 0; i < GROUP_CAP; i++) mine.push((await created(u.token, [], `g${i}`)).groupId);
    const one = await t.http('POST', '/chat/groups', { token: u.token, body: { name: 'one too many', memberIds: [] } });
    expect([one.status, one.body.error?.code]).toEqual([409, 'LIMIT_REACHED']);

    const theirs = await created(admin.token, []);
    const added = await t.http('POST', `/chat/groups/${theirs.groupId}/members`, { token: admin.token, body: { userIds: [u.id] } });
    expect([added.status, added.body.error?.code]).toEqual([409, 'LIMIT_REACHED']);
    // and so is a group created with u in it
    const withU = await t.http('POST', '/chat/groups', { token: admin.token, body: { name: 'with u', memberIds: [u.id] } });
    expect([withU.status, withU.body.error?.code]).toEqual([409, 'LIMIT_REACHED']);

    // invited, u may not accept while in as many groups as one may be; after leaving one, u may
    const inv = await t.http('POST', `/chat/groups/${theirs.groupId}/invite`, { token: admin.token, body: { userId: u.id } });
    expect(inv.status).toBe(202);
    await eventually(async () => (await pendingInvites(u.token)).length === 1, 'u invited');
    const accept = () => t.http('PATCH', `/chat/groups/invite/${inv.body.inviteId}/respond`, { token: u.token, body: { accept: true } });
    const refused = await accept();
    expect([refused.status, refused.body.error?.code]).toEqual([409, 'LIMIT_REACHED']);
    expect((await t.http('POST', `/chat/groups/${mine[0]}/leave`, { token: u.token })).status).toBe(202);
    await eventually(
      async () => (await t.http('GET', '/chat/groups', { token: u.token })).body.groups.length === GROUP_CAP - 1,
      'u left one',
    );
    expect((await accept()).status).toBe(202);
    await eventually(async () => (await members(theirs.groupId, admin.token)).members.includes(u.id), 'u joined');
  });
});
