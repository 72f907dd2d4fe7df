import type { MessageView } from '@chat/contracts';
import { eventually, newUserId, TestStack, type TestClient } from './support/harness';

function collect(c: TestClient, event: string): any[] {
  const seen: any[] = [];
  c.socket.on(event, (p: unknown) => seen.push(p));
  return seen;
}

const refusal = (r: { status: number; body: any }) => [r.status, r.body?.error?.code];
const BLOCKED = [403, 'BLOCKED'];

/**
 * Blocking: the blocked user cannot open a conversation with the blocker, write to it, add it to a group or
 * invite it (403 BLOCKED), refused at the edge from its cached view and again by the worker that applies the
 * command; in a shared group messages still flow, flagged blockedSender for the blocker only. Edge 1's view
 * of blocks is kept long here (BLOCK_CACHE_MS), so a block made through edge 0 is one edge 1 does not see.
 */
describe('blocking a user', () => {
  const t = new TestStack({ env: { BLOCK_CACHE_MS: '600000' } });
  beforeAll(() => t.start(), 120_000);
  afterAll(() => t.stop(), 60_000);

  async function user() {
    const id = newUserId();
    return { id, token: await t.token(id) };
  }
  type User = Awaited<ReturnType<typeof user>>;

  const block = (who: User, whom: string, edge = 0) => t.http('POST', '/chat/blocks', { token: who.token, body: { userId: whom }, edge });
  const blocksOf = async (who: User) => (await t.http('GET', '/chat/blocks', { token: who.token })).body.blocks as any[];

  /** `from` writes to `to` one-to-one (through `edge`) and waits until it is stored; the room's id. */
  async function writeTo(from: User, to: User, content: string, edge = 0): Promise<string> {
    const room = await t.http('POST', '/chat/conversation', { token: from.token, body: { user1: from.id, user2: to.id }, edge });
    expect(room.status).toBe(200);
    const roomId = room.body.conversation.id as string;
    const sent = await t.http('POST', '/chat/messages', { token: from.token, body: { receiverId: to.id, roomId, content }, edge });
    expect(sent.status).toBe(202);
    await eventually(async () => (await t.storedMessages(roomId, from.token)).some((m) => m.id === sent.body.message.id), 'stored');
    return roomId;
  }

  async function group(owner: User, memberIds: string[], edge = 0): Promise<string> {
    const r = await t.http('POST', '/chat/groups', { token: owner.token, body: { name: 'g', memberIds }, edge });
    expect(r.status).toBe(202);
    await eventually(
      async () =>
        (await t.http('GET', `/chat/groups/${r.body.groupId}/members`, { token: owner.token })).body.members?.length ===
        memberIds.length + 1,
      'group stored with its members',
    );
    return r.body.groupId;
  }

  it('refuses the blocked user a conversation, a message, a group create, add or invite naming the blocker; lists; unblocks', async () => {
    const [a, y, open] = [await user(), await user(), await user()];
    // `open` lets anyone add it (the add path); `a` keeps the default, so y's add of it would be an invite
    await t.letAnyoneAdd(open.token, y.token);
    const roomId = await writeTo(y, a, 'before');
    const openRoom = await writeTo(y, open, 'hello');
    const sa = await t.connect(a.token, 0);

    const r = await block(a, y.id);
    expect([r.status, r.body]).toEqual([200, { userId: y.id, blocked: true }]);
    expect(await blocksOf(a)).toEqual([{ userId: y.id, blockedAt: expect.any(String) }]);
    expect(await blocksOf(y)).toEqual([]);
    await block(open, y.id);

    // one-to-one, over REST and the socket
    expect(refusal(await t.http('POST', '/chat/conversation', { token: y.token, body: { user1: y.id, user2: a.id } }))).toEqual(BLOCKED);
    const sent = await t.http('POST', '/chat/messages', { token: y.token, body: { receiverId: a.id, roomId, content: 'let me in' } });
    expect(refusal(sent)).toEqual(BLOCKED);
    expect(sent.body.error.message).not.toContain(a.id);
    const sy = await t.connect(y.token, 0);
    expect((await sy.request('join_or_create_room', { participantId: a.id })).error?.code).toBe('BLOCKED');
    expect((await sy.request('send_message', { receiverId: a.id, roomId, content: 'socket', clientMsgId: 's-1' })).error?.code).toBe(
      'BLOCKED',
    );

    // groups: creating one with the blocker in it, adding it (whether it would be added or only invited), inviting it
    const mine = await group(y, []);
    for (const blocker of [a, open]) {
      expect(refusal(await t.http('POST', '/chat/groups', { token: y.token, body: { name: 'x', memberIds: [blocker.id] } }))).toEqual(
        BLOCKED,
      );
      expect(refusal(await t.http('POST', `/chat/groups/${mine}/members`, { token: y.token, body: { userIds: [blocker.id] } }))).toEqual(
        BLOCKED,
      );
      expect(refusal(await t.http('POST', `/chat/groups/${mine}/invite`, { token: y.token, body: { userId: blocker.id } }))).toEqual(
        BLOCKED,
      );
    }
    expect((await t.http('GET', `/chat/groups/${mine}/members`, { token: y.token })).body.members).toEqual([y.id]);
    expect((await t.http('GET', '/chat/groups/invites', { token: a.token })).body.invites).toEqual([]);

    // the blocker may still write to the user it blocks
    const back = await t.http('POST', '/chat/messages', { token: a.token, body: { receiverId: y.id, roomId, content: 'from a' } });
    expect(back.status).toBe(202);
    await sy.waitFor(() => sy.received.some((m) => m.id === back.body.message.id), 'y gets a’s message');
    expect(sa.received.map((m) => m.content)).toEqual(['before']);

    // unblocked: y writes to a again (the edge that unblocked forgets its cached view at once)
    const un = await t.http('DELETE', `/chat/blocks/${y.id}`, { token: a.token });
    expect([un.status, un.body]).toEqual([200, { userId: y.id, blocked: false }]);
    expect(await blocksOf(a)).toEqual([]);
    const again = await sy.request('send_message', { receiverId: a.id, roomId, content: 'friends again', clientMsgId: 's-2' });
    expect(again.ok).toBe(true);
    await sa.waitFor(() => sa.received.some((m) => m.content === 'friends again'), 'a gets it');
    expect((await t.storedMessages(roomId, a.token)).map((m) => m.content)).toEqual(['before', 'from a', 'friends again']);
    expect((await t.storedMessages(openRoom, open.token)).map((m) => m.content)).toEqual(['hello']);
  });

  it('refuses bad input with a 4xx: blocking oneself, a malformed id, a missing body; repeats change nothing', async () => {
    const [a, b] = [await user(), await user()];
    for (const [body, raw, status, code] of [
      [{ userId: a.id }, undefined, 400, 'VALIDATION_FAILED'],
      [{ userId: 'nope' }, undefined, 400, 'VALIDATION_FAILED'],
      [{}, undefined, 400, 'VALIDATION_FAILED'],
      [{ userId: b.id, extra: 1 }, undefined, 400, 'VALIDATION_FAILED'],
      [undefined, '', 400, 'VALIDATION_FAILED'],
      [undefined, '{"userId":', 400, 'INVALID_JSON'],
    ] as const) {
      const r = await t.http('POST', '/chat/blocks', { token: a.token, body, raw });
      expect([JSON.stringify(body ?? raw), ...refusal(r)]).toEqual([JSON.stringify(body ?? raw), status, code]);
    }
    expect(refusal(await t.http('DELETE', '/chat/blocks/nope', { token: a.token }))).toEqual([400, 'VALIDATION_FAILED']);
    expect(refusal(await t.http('GET', '/chat/blocks?limit=0', { token: a.token }))).toEqual([400, 'VALIDATION_FAILED']);
    expect((await t.http('POST', '/chat/blocks', { body: { userId: b.id } })).status).toBe(401);

    // blocking twice is one block; unblocking someone not blocked changes nothing
    expect((await block(a, b.id)).status).toBe(200);
    expect((await block(a, b.id)).status).toBe(200);
    expect((await blocksOf(a)).map((x) => x.userId)).toEqual([b.id]);
    const un = await t.http('DELETE', `/chat/blocks/${newUserId()}`, { token: a.token });
    expect(un.status).toBe(200);
    expect((await blocksOf(a)).map((x) => x.userId)).toEqual([b.id]);
  });

  it('the worker refuses what an edge with an older view of the blocks accepted: the sender learns it as send_message_status / group_error', async () => {
    const [a, y] = [await user(), await user()];
    // y works through edge 1, whose cached view of a's blocks (none) is taken here and kept
    const roomId = await writeTo(y, a, 'first', 1);
    const sy = await t.connect(y.token, 1);
    const sa = await t.connect(a.token, 0);
    const [statuses, groupErrors] = [collect(sy, 'send_message_status'), collect(sy, 'group_error')];

    expect((await block(a, y.id, 0)).status).toBe(200);
    // edge 0 refuses at once; edge 1 does not know yet, accepts, and the room's worker refuses
    expect(refusal(await t.http('POST', '/chat/messages', { token: y.token, body: { receiverId: a.id, roomId, content: 'x' } }))).toEqual(
      BLOCKED,
    );
    const late = await sy.request('send_message', { receiverId: a.id, roomId, content: 'after the block', clientMsgId: 'late-1' });
    expect(late.ok).toBe(true);
    await sy.waitFor(() => statuses.length === 1, 'y told the send was refused');
    expect(statuses[0]).toEqual({
      messageId: late.message.id,
      roomId,
      clientMsgId: 'late-1',
      status: 'error',
      error: { code: 'BLOCKED', message: expect.any(String) },
    });
    expect(statuses[0].error.message).not.toContain(a.id);

    // groups the same way: edge 1 accepts a create, an add (an invite, by a's default setting) and an invite naming a
    const created = await t.http('POST', '/chat/groups', { token: y.token, body: { name: 'with a', memberIds: [a.id] }, edge: 1 });
    expect(created.status).toBe(202);
    const mine = await group(y, [], 1);
    const added = await t.http('POST', `/chat/groups/${mine}/members`, { token: y.token, body: { userIds: [a.id] }, edge: 1 });
    expect([added.status, added.body.invited]).toEqual([202, [a.id]]);
    const invited = await t.http('POST', `/chat/groups/${mine}/invite`, { token: y.token, body: { userId: a.id }, edge: 1 });
    expect(invited.status).toBe(202);
    await sy.waitFor(() => groupErrors.length === 3, 'three group refusals');
    expect(groupErrors.map((e) => [e.op, e.error.code]).sort()).toEqual([
      ['add', 'BLOCKED'],
      ['create', 'BLOCKED'],
      ['invite', 'BLOCKED'],
    ]);
    expect((await t.http('GET', `/chat/groups/${created.body.groupId}/members`, { token: y.token })).status).toBe(404);
    expect((await t.http('GET', `/chat/groups/${mine}/members`, { token: y.token })).body.members).toEqual([y.id]);
    expect((await t.http('GET', '/chat/groups/invites', { token: a.token })).body.invites).toEqual([]);

    // nothing of it reached a or the store
    const later = await t.http('POST', '/chat/messages', { token: a.token, body: { receiverId: y.id, roomId, content: 'a writes' } });
    await sy.waitFor(() => sy.received.some((m) => m.id === later.body.message.id), 'a’s later message reached y');
    expect((await t.storedMessages(roomId, a.token)).map((m) => m.content)).toEqual(['first', 'a writes']);
    expect(sa.received.map((m) => m.content)).toEqual(['first']);
  });

  it('in a shared group messages still flow, flagged blockedSender for the blocker only, live, in history and in the sync', async () => {
    const [a, y, c] = [await user(), await user(), await user()];
    await t.letAnyoneAdd(a.token, y.token, c.token);
    const g = await group(c, [a.id, y.id]);
    const [sa, sy, sc] = await Promise.all([t.connect(a.token, 0), t.connect(y.token, 1), t.connect(c.token, 1)]);
    const [aTagged, cTagged] = [collect(sa, 'taggedInMessage'), collect(sc, 'taggedInMessage')];
    expect((await block(a, y.id)).status).toBe(200);

    const m = (await sy.request('send_group_message', { groupId: g, content: 'hi all', clientMsgId: 'g-1', mentions: [a.id, c.id] }))
      .message as MessageView;
    await sa.waitFor(() => sa.received.some((x) => x.id === m.id), 'a got it');
    await sc.waitFor(() => sc.received.some((x) => x.id === m.id) && cTagged.length === 1 && aTagged.length === 1, 'c got it');
    await sy.waitFor(() => sy.sent.some((x) => x.id === m.id), 'y told it was stored');
    expect(sa.received.find((x) => x.id === m.id)).toMatchObject({ content: 'hi all', blockedSender: true });
    expect(aTagged[0].message).toMatchObject({ id: m.id, blockedSender: true });
    expect(sc.received.find((x) => x.id === m.id)!.blockedSender).toBeUndefined();
    expect(cTagged[0].message.blockedSender).toBeUndefined();
    expect(sy.sent.find((x) => x.id === m.id)!.blockedSender).toBeUndefined();
    // a's messages reach y as before
    const fromA = (await sa.request('send_group_message', { groupId: g, content: 'from a', clientMsgId: 'g-2' })).message as MessageView;
    await sy.waitFor(() => sy.received.some((x) => x.id === fromA.id), 'y got a’s message');

    // history, as each reads it
    const history = async (who: User) =>
      ((await t.http('GET', `/chat/groups/${g}/messages`, { token: who.token })).body.messages as MessageView[]).find(
        (x) => x.id === m.id,
      )!;
    expect((await history(a)).blockedSender).toBe(true);
    expect((await history(c)).blockedSender).toBeUndefined();
    expect((await history(y)).blockedSender).toBeUndefined();

    // a away: the next one reaches a's next device through the sync, flagged; c's, not
    sa.close();
    sc.close();
    await eventually(async () => (await t.presence(a.id)) === 0 && (await t.presence(c.id)) === 0, 'a and c offline');
    const m2 = (await sy.request('send_group_message', { groupId: g, content: 'while away', clientMsgId: 'g-3' })).message as MessageView;
    await eventually(async () => (await t.storedMessages(g, y.token)).some((x) => x.id === m2.id), 'stored');
    const [a2, c2] = await Promise.all([t.connect(a.token, 1), t.connect(c.token, 0)]);
    await a2.waitFor(() => a2.received.some((x) => x.id === m2.id), 'a synced');
    await c2.waitFor(() => c2.received.some((x) => x.id === m2.id), 'c synced');
    expect(a2.received.filter((x) => x.senderId === y.id).every((x) => x.blockedSender === true)).toBe(true);
    expect(a2.received.find((x) => x.id === m2.id)!.blockedSender).toBe(true);
    expect(c2.received.find((x) => x.id === m2.id)!.blockedSender).toBeUndefined();
  });

  it('tells the blocked user nothing beyond the refusals: presence, lists and its own sends look as before', async () => {
    const [a, y] = [await user(), await user()];
    await t.letAnyoneAdd(a.token, y.token);
    const roomId = await writeTo(a, y, 'hi y');
    const g = await group(a, [y.id]);
    const [sa, sy] = await Promise.all([t.connect(a.token, 0), t.connect(y.token, 1)]);

    // what y can see of a, read the same way before and after the block
    const view = async () => {
      const presence = await t.http('GET', `/chat/presence?userIds=${a.id}`, { token: y.token });
      const rooms = await t.http('GET', `/chat/conversations/${y.id}`, { token: y.token });
      const members = await t.http('GET', `/chat/groups/${g}/members`, { token: y.token });
      const history = await t.http('GET', `/chat/messages/${roomId}`, { token: y.token });
      const settings = await t.http('GET', '/chat/me/settings', { token: y.token });
      return {
        presence: [presence.status, presence.body],
        rooms: [rooms.status, rooms.body.conversations.map((c: any) => [c.id, c.otherParticipant, c.lastMessage?.content])],
        members: [members.status, members.body],
        history: [history.status, history.body.messages.map((m: any) => [m.id, m.content, m.blockedSender])],
        settings: settings.body,
        blocks: await blocksOf(y),
      };
    };
    const before = await view();
    expect(before.presence).toEqual([200, { presence: [expect.objectContaining({ userId: a.id, online: true })] }]);
    expect((await block(a, y.id)).status).toBe(200);
    expect(await view()).toEqual(before);

    // y's group message: stored and acknowledged as any other, nothing to y says a blocks it
    const statuses = collect(sy, 'send_message_status');
    const m = (await sy.request('send_group_message', { groupId: g, content: 'hello group', clientMsgId: 'n-1' })).message as MessageView;
    await sy.waitFor(() => sy.sent.some((x) => x.id === m.id), 'stored');
    expect(sy.sent.find((x) => x.id === m.id)).not.toHaveProperty('blockedSender');
    await sa.waitFor(() => sa.received.some((x) => x.id === m.id), 'a got it');
    // the group's receipts still count a in
    await eventually(
      async () =>
        ((await t.http('GET', `/chat/groups/${g}/messages`, { token: y.token })).body.messages as any[]).find((x) => x.id === m.id)
          ?.receipts?.delivered === 1,
      'a counted as delivered',
    );
    expect(statuses).toEqual([]);
  });
});
