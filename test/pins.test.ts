import type { MessageView } from '@chat/contracts';
import { eventually, newUserId, TestStack, type TestClient } from './support/harness';

function collect(c: TestClient, event: string): any[] {
  const seen: any[] = [];
  c.socket.on(event, (p: unknown) => seen.push(p));
  return seen;
}

/** Pins: written through the room's ordered queue, told to the members, readable by them only. */
describe('pinned messages', () => {
  const t = new TestStack();
  beforeAll(() => t.start(), 120_000);
  afterAll(() => t.stop(), 60_000);

  const pins = async (roomId: string, token: string) => t.http('GET', `/chat/rooms/${roomId}/pins`, { token });
  const pinnedIds = async (roomId: string, token: string) =>
    (await pins(roomId, token)).body.pins.map((p: { messageId: string }) => p.messageId);

  /** Sends through REST and waits until the room's history has it (a pin is judged against the store). */
  async function stored(token: string, body: { receiverId: string; roomId: string; content: string }): Promise<MessageView> {
    const r = await t.http('POST', '/chat/messages', { token, body });
    expect(r.status).toBe(202);
    await eventually(async () => (await t.storedMessages(body.roomId, token)).some((m) => m.id === r.body.message.id), 'stored');
    return r.body.message;
  }

  it('lets both participants pin and unpin; both hear it; outsiders and bad input are refused', async () => {
    const { a, b, ta, tb, roomId } = await t.pair();
    const alice = await t.connect(ta, 0);
    const bob = await t.connect(tb, 1);
    const [aPinned, bPinned, aUnpinned, bUnpinned] = [
      collect(alice, 'message_pinned'),
      collect(bob, 'message_pinned'),
      collect(alice, 'message_unpinned'),
      collect(bob, 'message_unpinned'),
    ];
    const m1 = await stored(ta, { receiverId: b, roomId, content: 'pin me' });

    const r = await t.http('POST', `/chat/rooms/${roomId}/pins`, { token: tb, body: { messageId: m1.id } });
    expect(r.status).toBe(202);
    await alice.waitFor(() => aPinned.length === 1 && bPinned.length === 1, 'message_pinned on both sides');
    expect(aPinned[0]).toEqual({ roomId, messageId: m1.id, by: b });
    const listed = await pins(roomId, ta);
    expect(listed.status).toBe(200);
    expect(listed.body.pins).toEqual([
      expect.objectContaining({ messageId: m1.id, pinnedBy: b, message: expect.objectContaining({ content: 'pin me' }) }),
    ]);

    // an outsider: as for any room it is not in
    const c = newUserId();
    const tc = await t.token(c);
    for (const [method, path, body] of [
      ['POST', `/chat/rooms/${roomId}/pins`, { messageId: m1.id }],
      ['DELETE', `/chat/rooms/${roomId}/pins/${m1.id}`, undefined],
      ['GET', `/chat/rooms/${roomId}/pins`, undefined],
    ] as const) {
      const res = await t.http(method, path, { token: tc, body });
      expect([method, res.status, res.body.error?.code]).toEqual([method, 404, 'NOT_FOUND']);
    }
    // bad input: an unknown message, a message of another room, a malformed id, no body
    const other = await t.http('POST', '/chat/conversation', { token: ta, body: { user1: a, user2: c } });
    const elsewhere = await stored(ta, { receiverId: c, roomId: other.body.conversation.id, content: 'not here' });
    for (const [body, status, code] of [
      [{ messageId: newUserId() }, 404, 'NOT_FOUND'],
      [{ messageId: elsewhere.id }, 404, 'NOT_FOUND'],
      [{ messageId: 'nope' }, 400, 'VALIDATION_FAILED'],
      [{}, 400, 'VALIDATION_FAILED'],
    ] as const) {
      const res = await t.http('POST', `/chat/rooms/${roomId}/pins`, { token: ta, body });
      expect([JSON.stringify(body), res.status, res.body.error?.code]).toEqual([JSON.stringify(body), status, code]);
    }

    expect((await t.http('DELETE', `/chat/rooms/${roomId}/pins/${m1.id}`, { token: ta })).status).toBe(202);
    await bob.waitFor(() => aUnpinned.length === 1 && bUnpinned.length === 1, 'message_unpinned on both sides');
    expect(bUnpinned[0]).toEqual({ roomId, messageId: m1.id, by: a });
    expect(await pinnedIds(roomId, tb)).toEqual([]);
  }, 90_000);

  it('takes a deleted message off the pins and refuses to pin one (a pin behind a delete in the room’s order too)', async () => {
    const { a, b, ta, tb, roomId } = await t.pair();
    const bob = await t.connect(tb, 1);
    const unpinned = collect(bob, 'message_unpinned');
    const m = await stored(ta, { receiverId: b, roomId, content: 'soon gone' });
    expect((await t.http('POST', `/chat/rooms/${roomId}/pins`, { token: tb, body: { messageId: m.id } })).status).toBe(202);
    await eventually(async () => (await pinnedIds(roomId, ta)).includes(m.id), 'pinned');

    expect((await t.http('DELETE', `/chat/message/${m.id}/${a}`, { token: ta })).status).toBe(202);
    await bob.waitFor(() => unpinned.length === 1, 'message_unpinned after the delete');
    expect(unpinned[0]).toEqual({ roomId, messageId: m.id, by: a });
    expect(await pinnedIds(roomId, tb)).toEqual([]);
    const again = await t.http('POST', `/chat/rooms/${roomId}/pins`, { token: tb, body: { messageId: m.id } });
    expect([again.status, again.body.error?.code]).toEqual([409, 'CONFLICT']);

    // a delete and a pin sent one right after the other: the pin is applied after the delete and refused,
    // at the edge (the delete already stored) or by the worker (pin_error to the actor)
    const alice = await t.connect(ta, 0);
    const errors = collect(alice, 'pin_error');
    const n = await stored(ta, { receiverId: b, roomId, content: 'race' });
    const [del, pin] = await Promise.all([
      t.http('DELETE', `/chat/message/${n.id}/${a}`, { token: ta }),
      t.http('POST', `/chat/rooms/${roomId}/pins`, { token: ta, body: { messageId: n.id } }),
    ]);
    expect(del.status).toBe(202);
    if (pin.status === 202) {
      await alice.waitFor(() => errors.length === 1, 'pin_error');
      expect(errors[0]).toMatchObject({ roomId, messageId: n.id, op: 'pin', error: { code: 'CONFLICT' } });
    } else expect([pin.status, pin.body.error?.code]).toEqual([409, 'CONFLICT']);
    await eventually(async () => (await t.storedMessages(roomId, ta)).some((x) => x.id === n.id && 'deleted' in x), 'deleted');
    expect(await pinnedIds(roomId, ta)).toEqual([]);
  }, 90_000);

  it('in a group, lets only admins pin; members hear it and read the pins', async () => {
    const ids = Array.from({ length: 4 }, newUserId);
    const [ta, tb, tc, td] = await Promise.all(ids.map((u) => t.token(u)));
    const [a, b, c] = ids;
    await t.letAnyoneAdd(tb, tc);
    const created = await t.http('POST', '/chat/groups', { token: ta, body: { name: 'pins', memberIds: [b, c] } });
    const groupId = created.body.groupId as string;
    await eventually(async () => (await t.http('GET', `/chat/groups/${groupId}/members`, { token: ta })).status === 200, 'group created');
    const carol = await t.connect(tc, 1);
    const heard = collect(carol, 'message_pinned');
    const sent = await t.http('POST', `/chat/groups/${groupId}/messages`, { token: tb, body: { content: 'from b' } });
    expect(sent.status).toBe(202);
    const messageId = sent.body.message.id as string;
    await eventually(async () => (await t.storedMessages(groupId, ta)).some((m) => m.id === messageId), 'stored');

    const member = await t.http('POST', `/chat/rooms/${groupId}/pins`, { token: tb, body: { messageId } });
    expect([member.status, member.body.error?.code]).toEqual([403, 'FORBIDDEN']);
    const outsider = await t.http('POST', `/chat/rooms/${groupId}/pins`, { token: td, body: { messageId } });
    expect([outsider.status, outsider.body.error?.code]).toEqual([404, 'NOT_FOUND']);

    expect((await t.http('POST', `/chat/rooms/${groupId}/pins`, { token: ta, body: { messageId } })).status).toBe(202);
    await carol.waitFor(() => heard.length === 1, 'message_pinned to a member');
    expect(heard[0]).toEqual({ roomId: groupId, messageId, by: a });
    expect(await pinnedIds(groupId, tb)).toEqual([messageId]);
    const unpin = await t.http('DELETE', `/chat/rooms/${groupId}/pins/${messageId}`, { token: tc });
    expect([unpin.status, unpin.body.error?.code]).toEqual([403, 'FORBIDDEN']);
    expect(await pinnedIds(groupId, tc)).toEqual([messageId]);
  }, 90_000);

  it('holds at most 50 pins per room: the 51st is refused with LIMIT_REACHED', async () => {
    const { b, ta, roomId } = await t.pair();
    const sent: MessageView[] = [];
    for (let i = 0; i < 51; i++) {
      const r = await t.http('POST', '/chat/messages', {
        token: ta,
        body: { receiverId: b, roomId, content: `m${i}`, clientMsgId: `p-${i}` },
      });
      expect(r.status).toBe(202);
      sent.push(r.body.message);
    }
    await eventually(async () => (await t.storedMessages(roomId, ta)).length === 51, 'all stored');
    for (const m of sent.slice(0, 50))
      expect((await t.http('POST', `/chat/rooms/${roomId}/pins`, { token: ta, body: { messageId: m.id } })).status).toBe(202);
    await eventually(async () => (await pinnedIds(roomId, ta)).length === 50, '50 pinned');

    const last = await t.http('POST', `/chat/rooms/${roomId}/pins`, { token: ta, body: { messageId: sent[50].id } });
    expect([last.status, last.body.error?.code]).toEqual([409, 'LIMIT_REACHED']);
    // pinning one already pinned changes nothing and is not refused
    expect((await t.http('POST', `/chat/rooms/${roomId}/pins`, { token: ta, body: { messageId: sent[0].id } })).status).toBe(202);
    expect(await pinnedIds(roomId, ta)).toHaveLength(50);
  }, 120_000);
});
