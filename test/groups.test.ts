import type { MessageView } from '@chat/contracts';
import { eventually, newUserId, TestStack, type TestClient } from './support/harness';

function collect(c: TestClient, event: string): any[] {
  const seen: any[] = [];
  c.socket.on(event, (p: unknown) => seen.push(p));
  return seen;
}

/** Groups on the same edge → broker → workers path, with the same guarantees as one-to-one chat. */
describe('groups', () => {
  const t = new TestStack();
  beforeAll(() => t.start(), 120_000);
  afterAll(() => t.stop(), 60_000);

  /** Users who let anyone add them to a group: consent to being added is group-consent.test.ts's subject. */
  async function users(n: number) {
    const ids = Array.from({ length: n }, newUserId);
    const tokens = await Promise.all(ids.map((u) => t.token(u)));
    await Promise.all(tokens.map((token) => t.http('PATCH', '/chat/me/settings', { token, body: { groupAdds: 'everyone' } })));
    return ids.map((id, i) => ({ id, token: tokens[i] }));
  }

  async function createGroup(admin: { id: string; token: string }, memberIds: string[], name = 'team') {
    const r = await t.http('POST', '/chat/groups', { token: admin.token, body: { name, memberIds } });
    expect(r.status).toBe(202);
    const groupId = r.body.groupId as string;
    await eventually(
      async () => (await t.http('GET', `/chat/groups/${groupId}/members`, { token: admin.token })).status === 200,
      'group created',
    );
    return groupId;
  }

  const members = async (groupId: string, token: string) => (await t.http('GET', `/chat/groups/${groupId}/members`, { token })).body;

  it('creates a group with the creator as admin; only admins add, remove, promote and rename', async () => {
    const [a, b, c, d] = await users(4);
    const groupId = await createGroup(a, [b.id, c.id]);
    expect(await members(groupId, b.token)).toEqual({ groupId, members: [a.id, b.id, c.id], admins: [a.id] });
    const mine = await t.http('GET', '/chat/groups', { token: c.token });
    expect(mine.body.groups.map((g: { id: string }) => g.id)).toContain(groupId);

    for (const [method, path, body] of [
      ['POST', `/chat/groups/${groupId}/members`, { userIds: [d.id] }],
      ['DELETE', `/chat/groups/${groupId}/members/${c.id}`, undefined],
      ['POST', `/chat/groups/${groupId}/members/${c.id}/promote`, undefined],
      ['PATCH', `/chat/groups/${groupId}`, { name: 'mine now' }],
      ['POST', `/chat/groups/${groupId}/invite`, { userId: d.id }],
    ] as const) {
      const r = await t.http(method, path, { token: b.token, body });
      expect([method, path, r.status, r.body.error?.code]).toEqual([method, path, 403, 'FORBIDDEN']);
      const outsider = await t.http(method, path, { token: d.token, body });
      expect([403, 404]).toContain(outsider.status);
    }

    expect((await t.http('POST', `/chat/groups/${groupId}/members`, { token: a.token, body: { userIds: [d.id] } })).status).toBe(202);
    expect((await t.http('POST', `/chat/groups/${groupId}/members/${b.id}/promote`, { token: a.token })).status).toBe(202);
    await eventually(async () => (await members(groupId, a.token)).admins?.includes(b.id), 'b promoted');
    // removing someone who is not a member is accepted and changes nothing (the edge and the worker judge alike)
    expect((await t.http('DELETE', `/chat/groups/${groupId}/members/${newUserId()}`, { token: a.token })).status).toBe(202);
    expect((await t.http('PATCH', `/chat/groups/${groupId}`, { token: b.token, body: { name: 'renamed' } })).status).toBe(202);
    await eventually(
      async () => (await t.http('GET', '/chat/groups', { token: d.token })).body.groups.some((g: { name: string }) => g.name === 'renamed'),
      'renamed',
    );
    expect(await members(groupId, a.token)).toEqual({ groupId, members: [a.id, b.id, c.id, d.id], admins: [a.id, b.id] });
  });

  it('hands admin to the oldest member when the last admin leaves', async () => {
    const [a, b, c] = await users(3);
    const groupId = await createGroup(a, [b.id, c.id]);
    expect((await t.http('POST', `/chat/groups/${groupId}/leave`, { token: a.token })).status).toBe(202);
    await eventually(async () => (await members(groupId, b.token)).admins?.[0] === b.id, 'b is admin');
    expect(await members(groupId, b.token)).toEqual({ groupId, members: [b.id, c.id], admins: [b.id] });
    expect((await t.http('GET', `/chat/groups/${groupId}/members`, { token: a.token })).status).toBe(404);
  });

  it('invites: only the invitee answers; accepting makes a member, declining does not', async () => {
    const [a, b, e, f] = await users(4);
    const groupId = await createGroup(a, [b.id]);
    const eSock = await t.connect(e.token, 1);
    const invites = collect(eSock, 'group_invite');
    const inv = await t.http('POST', `/chat/groups/${groupId}/invite`, { token: a.token, body: { userId: e.id } });
    expect(inv.status).toBe(202);
    await eSock.waitFor(() => invites.length === 1, 'invite event');
    expect(invites[0]).toMatchObject({ inviteId: inv.body.inviteId, groupId, inviterId: a.id });
    // the invite is also listed, for a device that missed the notice; only to the invitee
    const pending = await t.http('GET', '/chat/groups/invites', { token: e.token });
    expect(pending.body.invites).toEqual([
      { inviteId: inv.body.inviteId, groupId, name: 'team', inviterId: a.id, createdAt: expect.any(String) },
    ]);
    expect((await t.http('GET', '/chat/groups/invites', { token: b.token })).body.invites).toEqual([]);
    expect(
      (await t.http('PATCH', `/chat/groups/invite/${inv.body.inviteId}/respond`, { token: b.token, body: { accept: true } })).status,
    ).toBe(404);
    expect(
      (await t.http('PATCH', `/chat/groups/invite/${inv.body.inviteId}/respond`, { token: e.token, body: { accept: true } })).status,
    ).toBe(202);
    await eventually(async () => (await members(groupId, a.token)).members.includes(e.id), 'e joined');
    expect((await t.http('GET', '/chat/groups/invites', { token: e.token })).body.invites).toEqual([]);

    const inv2 = await t.http('POST', `/chat/groups/${groupId}/invite`, { token: a.token, body: { userId: f.id } });
    expect(
      (await t.http('PATCH', `/chat/groups/invite/${inv2.body.inviteId}/respond`, { token: f.token, body: { accept: false } })).status,
    ).toBe(202);
    await eventually(
      async () => (await t.http('GET', '/chat/groups/invites', { token: f.token })).body.invites.length === 0,
      'the decline applied',
    );
    expect((await members(groupId, a.token)).members).not.toContain(f.id);
    expect(
      (await t.http('PATCH', `/chat/groups/invite/${inv2.body.inviteId}/respond`, { token: f.token, body: { accept: true } })).status,
    ).toBe(409);
  });

  it('delivers group messages in order with mentions; a removed member gets nothing more and loses history', async () => {
    const [a, b, c] = await users(3);
    const groupId = await createGroup(a, [b.id, c.id]);
    // c has a socket on each edge: removal must take both out of the group's deliveries
    const [sa, sb, sc, sc2] = await Promise.all([
      t.connect(a.token, 0),
      t.connect(b.token, 1),
      t.connect(c.token, 0),
      t.connect(c.token, 1),
    ]);
    const tagged = collect(sc, 'taggedInMessage');
    const removed = collect(sc, 'removed_from_group');
    const removed2 = collect(sc2, 'removed_from_group');
    for (let i = 0; i < 20; i++) {
      const r = await sa.request('send_group_message', {
        groupId,
        content: `g${i}`,
        clientMsgId: `g-${i}`,
        mentions: i === 3 ? [c.id] : [],
      });
      expect(r.ok).toBe(true);
    }
    await sb.waitFor(() => sb.received.length === 20, 'b got 20');
    await sc.waitFor(() => sc.received.length === 20 && tagged.length === 1, 'c got 20 and a tag');
    await sc2.waitFor(() => sc2.received.length === 20, 'c’s second device got 20');
    expect(sb.received.map((m) => m.content)).toEqual([...Array(20).keys()].map((i) => `g${i}`));
    expect(tagged[0].message).toMatchObject({ content: 'g3', groupId, mentions: [c.id] });
    const mentions = await t.http('GET', `/chat/groups/${groupId}/tagged-messages`, { token: c.token });
    expect(mentions.body.messages.map((m: MessageView) => m.content)).toEqual(['g3']);
    expect((await sa.request('send_group_message', { groupId, content: 'x', mentions: [newUserId()] })).ok).toBe(false);

    expect((await t.http('DELETE', `/chat/groups/${groupId}/members/${c.id}`, { token: a.token })).status).toBe(202);
    await sc.waitFor(() => removed.length === 1 && removed2.length === 1, 'both of c’s devices told of the removal');
    await sa.request('send_group_message', { groupId, content: 'after removal', clientMsgId: 'g-after' });
    await sb.waitFor(() => sb.received.length === 21, 'b got it');
    await new Promise((r) => setTimeout(r, 500));
    expect(sc.received).toHaveLength(20);
    expect(sc2.received).toHaveLength(20);
    expect((await t.http('GET', `/chat/groups/${groupId}/messages`, { token: c.token })).status).toBe(404);
    expect((await sc.request('send_group_message', { groupId, content: 'still here?' })).ok).toBe(false);
  });

  it('edits and deletes group messages with the one-to-one rules; every other member is told', async () => {
    const [a, b, c] = await users(3);
    const groupId = await createGroup(a, [b.id, c.id]);
    const [sa, sb, sc] = await Promise.all([t.connect(a.token, 0), t.connect(b.token, 1), t.connect(c.token, 1)]);
    const editedB = collect(sb, 'message_edited');
    const deletedC = collect(sc, 'message_deleted');
    const m = (await sa.request('send_group_message', { groupId, content: 'draft', clientMsgId: 'ge-1' })).message as MessageView;
    expect(await sb.request('edit_message', { messageId: m.id, newContent: 'hijack' })).toMatchObject({ ok: false });
    expect(await sa.request('edit_message', { messageId: m.id, newContent: 'final' })).toMatchObject({ ok: true });
    await sb.waitFor(() => editedB.length === 1, 'b sees the edit');
    expect(editedB[0]).toMatchObject({ messageId: m.id, groupId, content: 'final' });
    expect(await sa.request('delete_message', { messageId: m.id })).toMatchObject({ ok: true });
    await sc.waitFor(() => deletedC.length === 1, 'c sees the delete');
    const h = await t.http('GET', `/chat/groups/${groupId}/messages`, { token: c.token });
    expect(h.body.messages[0]).toMatchObject({ id: m.id, deleted: true });

    // a member removed from the group can no longer change what it wrote there
    const mine = (await sc.request('send_group_message', { groupId, content: 'c was here', clientMsgId: 'ge-c' })).message as MessageView;
    await sb.waitFor(() => sb.received.some((x) => x.id === mine.id), 'b got c’s message');
    expect((await t.http('DELETE', `/chat/groups/${groupId}/members/${c.id}`, { token: a.token })).status).toBe(202);
    await eventually(async () => !(await members(groupId, a.token)).members.includes(c.id), 'c removed');
    expect(await sc.request('edit_message', { messageId: mine.id, newContent: 'spam' })).toMatchObject({
      ok: false,
      error: { code: 'NOT_FOUND' },
    });
    expect((await t.http('PUT', `/chat/message/${mine.id}`, { token: c.token, body: { content: 'spam' } })).status).toBe(404);
    expect((await t.http('DELETE', `/chat/message/${mine.id}/${c.id}`, { token: c.token })).status).toBe(404);
    // edits take the room's next seq and reach b in room order: any of c's that had gone through would come first
    const barrier = (await sa.request('send_group_message', { groupId, content: 'barrier', clientMsgId: 'ge-barrier' }))
      .message as MessageView;
    await sb.waitFor(() => sb.received.some((x) => x.id === barrier.id), 'b got the later message');
    expect(editedB).toHaveLength(1);
    const after = await t.http('GET', `/chat/groups/${groupId}/messages`, { token: b.token });
    expect(after.body.messages.find((x: MessageView) => x.id === mine.id)).toMatchObject({
      content: 'c was here',
      editedAt: null,
      deletedAt: null,
    });
  });

  it('delivers one message to a group of 200 (50 offline) exactly once each, and read counts reach m/m', async () => {
    const all = await users(200);
    const [admin, ...rest] = all;
    const groupId = await createGroup(
      admin,
      rest.map((u) => u.id),
      'big',
    );
    const online = all.slice(0, 150);
    const offline = all.slice(150);
    const sockets = await Promise.all(online.map((u, i) => t.connect(u.token, i % 2)));
    const sent = await sockets[0].request('send_group_message', { groupId, content: 'hello all', clientMsgId: 'big-1' });
    expect(sent.ok).toBe(true);
    await Promise.all(sockets.slice(1).map((s) => s.waitFor(() => s.received.length >= 1, 'online member got it', 60_000)));
    const late = await Promise.all(offline.map((u, i) => t.connect(u.token, i % 2)));
    await Promise.all(late.map((s) => s.waitFor(() => s.received.length >= 1, 'offline member got it on connect', 60_000)));
    await new Promise((r) => setTimeout(r, 500));
    const receivers = [...sockets.slice(1), ...late];
    expect(receivers.every((s) => s.received.length === 1 && s.received[0].content === 'hello all')).toBe(true);
    expect(sockets[0].received).toHaveLength(0);

    const mid = sent.message.id as string;
    const receipts = collect(sockets[0], 'group_receipt');
    const bystander = collect(sockets[1], 'group_receipt'); // a member who wrote nothing hears of no one's reads
    await Promise.all(receivers.map((s) => s.request('message_read', { messageId: mid })));
    await eventually(
      async () => {
        const h = await t.http('GET', `/chat/groups/${groupId}/messages`, { token: admin.token });
        return h.body.messages[0]?.receipts?.read === 199;
      },
      'read 199/199',
      40_000,
    );
    const h = await t.http('GET', `/chat/groups/${groupId}/messages`, { token: admin.token });
    expect(h.body.messages[0]).toMatchObject({ status: 'read', receipts: { delivered: 199, read: 199, of: 199 } });
    await sockets[0].waitFor(() => receipts.some((r) => r.counts.read === 199), 'sender sees 199/199');
    // one event per member's change, not per member per message
    expect(receipts.filter((r) => r.kind === 'read').length).toBeLessThanOrEqual(199);
    expect(bystander).toEqual([]);
    for (const s of [...sockets, ...late]) s.close();
  }, 240_000);

  it('sends over REST too, pages history with the seq cursors, and hands offline members every message in order, once', async () => {
    const [a, b, c, d] = await users(4);
    const groupId = await createGroup(a, [b.id, c.id, d.id]);
    const [sa, sb] = await Promise.all([t.connect(a.token, 0), t.connect(b.token, 1)]);
    const d1 = await t.connect(d.token, 0);
    // c never connected; d goes away after the first 5
    const sent: string[] = [];
    for (let i = 0; i < 25; i++) {
      if (i === 5) {
        await d1.waitFor(() => d1.received.length === 5, 'd got the first 5');
        d1.close();
        await eventually(async () => (await t.presence(d.id)) === 0, 'd offline');
      }
      const body = { content: `r${i}`, clientMsgId: `rest-${i}` };
      if (i % 2 === 0) {
        const r = await t.http('POST', `/chat/groups/${groupId}/messages`, { token: a.token, body });
        expect([r.status, r.body.message?.groupId]).toEqual([202, groupId]);
      } else expect((await sa.request('send_group_message', { groupId, ...body })).ok).toBe(true);
      sent.push(`r${i}`);
    }
    // a resent clientMsgId over REST stores and delivers nothing new
    expect(
      (await t.http('POST', `/chat/groups/${groupId}/messages`, { token: a.token, body: { content: 'r0', clientMsgId: 'rest-0' } })).status,
    ).toBe(202);
    await sb.waitFor(() => sb.received.length === 25, 'b got 25');
    expect(sb.received.map((m) => m.content)).toEqual(sent);

    // d's device comes back saying what it has (its delivered receipt for the last one may still be on its way)
    const had = { [groupId]: d1.received[4].seq! };
    const [sc, d2] = await Promise.all([t.connect(c.token, 1), t.connect(d.token, 1, { since: had })]);
    await sc.waitFor(() => sc.received.length >= 25, 'c got the 25 on connect');
    await d2.waitFor(() => d2.received.length >= 20, 'd got the 20 it missed on reconnect');

    // history: newest first in pages of 10 with before=, oldest first with after=
    const pages: string[][] = [];
    let before: number | undefined;
    for (;;) {
      const h = await t.http('GET', `/chat/groups/${groupId}/messages?limit=10${before ? `&before=${before}` : ''}`, { token: c.token });
      expect(h.status).toBe(200);
      pages.push(h.body.messages.map((m: MessageView) => m.content));
      if (!h.body.hasMore) break;
      before = h.body.messages[h.body.messages.length - 1].seq;
    }
    expect(pages.map((p) => p.length)).toEqual([10, 10, 5]);
    expect(pages.flat()).toEqual([...sent].reverse());
    const oldest = await t.http('GET', `/chat/groups/${groupId}/messages?after=0&limit=3`, { token: d.token });
    expect(oldest.body.messages.map((m: MessageView) => m.content)).toEqual(['r0', 'r1', 'r2']);
    // a later message reaches each device after everything before it in the room: a copy too many or one
    // out of order would show ahead of it
    expect((await sa.request('send_group_message', { groupId, content: 'barrier', clientMsgId: 'rest-barrier' })).ok).toBe(true);
    await Promise.all([sc, d2].map((s) => s.waitFor(() => s.received.some((m) => m.content === 'barrier'), 'the later message')));
    expect(sc.received.map((m) => m.content)).toEqual([...sent, 'barrier']);
    expect(d2.received.map((m) => m.content)).toEqual([...sent.slice(5), 'barrier']);
    for (const s of [sa, sb, sc, d2]) s.close();
  });

  it('tells the sender once per member who reads a whole backlog, with n/m counts; a room-read does the same', async () => {
    const [a, b, c] = await users(3);
    const groupId = await createGroup(a, [b.id, c.id]);
    const sa = await t.connect(a.token, 0);
    const sb = await t.connect(b.token, 1);
    const receipts = collect(sa, 'group_receipt');
    const oneToOneAcks = collect(sa, 'message_read_ack');
    let last: MessageView | undefined;
    for (let i = 0; i < 30; i++)
      last = (await sa.request('send_group_message', { groupId, content: `b${i}`, clientMsgId: `bl-${i}` })).message;
    await sb.waitFor(() => sb.received.length === 30, 'b got the backlog');
    const listed = async (u: { id: string; token: string }) =>
      (await t.http('GET', '/chat/groups', { token: u.token })).body.groups.find((g: { id: string }) => g.id === groupId);
    await eventually(async () => (await listed(c))?.unreadCount === 30, 'c has 30 unread in the group list');
    expect((await listed(c)).lastMessage).toMatchObject({ id: last!.id, content: 'b29', senderId: a.id });

    // b reads the newest: one event for the 30 messages, counting b
    const newest = sb.received[29];
    expect(await sb.request('message_read', { messageId: newest.id })).toMatchObject({ ok: true });
    await sa.waitFor(() => receipts.some((r) => r.kind === 'read'), 'a told of b’s read');
    // c reads the whole room over REST: one more event, now 2/2
    const rr = await t.http('PATCH', `/chat/message/read/room/${groupId}/user/${c.id}`, { token: c.token });
    expect(rr.body).toMatchObject({ roomId: groupId, status: 'read', upToSeq: newest.seq });
    await sa.waitFor(() => receipts.filter((r) => r.kind === 'read').length === 2, 'a told of c’s read');
    await new Promise((r) => setTimeout(r, 500));
    const reads = receipts.filter((r) => r.kind === 'read');
    expect(reads).toHaveLength(2);
    expect(reads.map((r) => [r.by, r.upToSeq, r.counts])).toEqual([
      [b.id, newest.seq, { delivered: 1, read: 1, of: 2 }],
      [c.id, newest.seq, { delivered: 2, read: 2, of: 2 }],
    ]);
    expect(oneToOneAcks).toHaveLength(0);
    expect(await listed(c)).toMatchObject({ unreadCount: 0 });
    const h = await t.http('GET', `/chat/groups/${groupId}/messages?limit=1`, { token: a.token });
    expect(h.body.messages[0]).toMatchObject({ id: newest.id, status: 'read', receipts: { delivered: 2, read: 2, of: 2 } });

    // the sender's "message info": who has it and who read it; nobody else may ask
    const info = (u: { token: string }, messageId = newest.id) =>
      t.http('GET', `/chat/groups/${groupId}/messages/${messageId}/receipts`, { token: u.token });
    expect((await info(a)).body).toEqual({ messageId: newest.id, deliveredTo: [b.id, c.id], readBy: [b.id, c.id], of: 2 });
    const [outsider] = await users(1);
    expect((await info(b)).status).toBe(403);
    expect((await info(outsider)).status).toBe(404);
    expect((await info(a, newUserId())).status).toBe(404);
    sa.close();
    sb.close();
  });

  it('keeps a group within its member limit (default 1,000) at the edge and in the worker, for adds and invites', async () => {
    const [a, x, y, z, w, v] = await users(6);
    const filler = (n: number) => Array.from({ length: n }, newUserId);
    const tooBig = await t.http('POST', '/chat/groups', { token: a.token, body: { name: 'too big', memberIds: filler(1000) } });
    expect([tooBig.status, tooBig.body.error?.code]).toEqual([409, 'CONFLICT']);

    // users who let anyone add them (a stranger listed would only be invited), 50 at a time
    const fillers: string[] = [];
    for (let i = 0; i < 997; i += 50) fillers.push(...(await users(Math.min(50, 997 - i))).map((u) => u.id));
    const groupId = await createGroup(a, fillers, 'nearly full'); // 998 members with a
    const overAdd = await t.http('POST', `/chat/groups/${groupId}/members`, { token: a.token, body: { userIds: [x.id, y.id, z.id] } });
    expect([overAdd.status, overAdd.body.error?.code]).toEqual([409, 'CONFLICT']);

    // two adds of two, each within the limit on its own: the worker applies one and refuses the other
    const sa = await t.connect(a.token, 0);
    const errors = collect(sa, 'group_error');
    const both = await Promise.all([
      t.http('POST', `/chat/groups/${groupId}/members`, { token: a.token, body: { userIds: [x.id, y.id] } }),
      t.http('POST', `/chat/groups/${groupId}/members`, { token: a.token, body: { userIds: [z.id, w.id] } }),
    ]);
    expect(both.map((r) => r.status)).toEqual([202, 202]);
    await sa.waitFor(() => errors.length === 1, 'the second add refused by the worker');
    expect(errors[0]).toMatchObject({ groupId, op: 'add', error: { code: 'CONFLICT' } });
    await eventually(async () => (await members(groupId, a.token)).members.length === 1000, '1,000 members');

    // an invite accepted once the group is full is refused, and the invitee is told
    const inv = await t.http('POST', `/chat/groups/${groupId}/invite`, { token: a.token, body: { userId: v.id } });
    expect(inv.status).toBe(202);
    const sv = await t.connect(v.token, 1);
    const vErrors = collect(sv, 'group_error');
    await eventually(
      async () =>
        (await t.http('PATCH', `/chat/groups/invite/${inv.body.inviteId}/respond`, { token: v.token, body: { accept: true } })).status ===
        202,
      'invite stored',
    );
    await sv.waitFor(() => vErrors.length === 1, 'the invitee told the group is full');
    expect(vErrors[0]).toMatchObject({ groupId, op: 'respond', error: { code: 'CONFLICT' } });
    const after = await members(groupId, a.token);
    expect(after.members).toHaveLength(1000);
    expect(after.members).not.toContain(v.id);
    sa.close();
    sv.close();
  }, 120_000);

  it('shows a member added later the group from when it joined: nothing older pushed, counted unread or served', async () => {
    const [a, b, d] = await users(3);
    const groupId = await createGroup(a, [b.id]);
    const sa = await t.connect(a.token, 0);
    for (let i = 0; i < 10; i++)
      expect((await sa.request('send_group_message', { groupId, content: `old${i}`, clientMsgId: `old-${i}`, mentions: [b.id] })).ok).toBe(
        true,
      );
    await eventually(
      async () => (await t.http('GET', `/chat/groups/${groupId}/messages`, { token: a.token })).body.messages.length === 10,
      'stored',
    );
    expect((await t.http('POST', `/chat/groups/${groupId}/members`, { token: a.token, body: { userIds: [d.id] } })).status).toBe(202);
    await eventually(async () => (await members(groupId, a.token)).members.includes(d.id), 'd added');

    const sd = await t.connect(d.token, 1);
    expect((await t.http('GET', `/chat/message/unread/${d.id}`, { token: d.token })).body).toEqual({ count: 0, byRoom: {} });
    expect((await t.http('GET', `/chat/groups/${groupId}/messages`, { token: d.token })).body.messages).toEqual([]);
    expect((await t.http('GET', '/chat/groups', { token: d.token })).body.groups[0]).toMatchObject({
      id: groupId,
      unreadCount: 0,
      lastMessage: null,
    });

    // from now on d is a member like the others: live, unread, history, and on reconnect
    expect((await sa.request('send_group_message', { groupId, content: 'welcome', clientMsgId: 'new-1', mentions: [d.id] })).ok).toBe(true);
    // a connected socket gets what its connect-time sync found before any live message: anything older
    // pushed on connect would be ahead of this one
    await sd.waitFor(() => sd.received.some((m) => m.content === 'welcome'), 'd got the new one');
    expect(sd.received.map((m) => m.content)).toEqual(['welcome']);
    sd.close();
    await eventually(async () => (await t.http('GET', `/chat/message/unread/${d.id}`, { token: d.token })).body.count === 1, 'one unread');
    const h = await t.http('GET', `/chat/groups/${groupId}/messages`, { token: d.token });
    expect(h.body.messages.map((m: MessageView) => m.content)).toEqual(['welcome']);
    expect(
      (await t.http('GET', `/chat/groups/${groupId}/tagged-messages`, { token: d.token })).body.messages.map((m: MessageView) => m.content),
    ).toEqual(['welcome']);
    // b, there from the start, still has all of it
    expect((await t.http('GET', `/chat/groups/${groupId}/messages?limit=100`, { token: b.token })).body.messages).toHaveLength(11);
    expect((await t.http('GET', `/chat/message/unread/${b.id}`, { token: b.token })).body.count).toBe(11);
    sa.close();
  });
});
