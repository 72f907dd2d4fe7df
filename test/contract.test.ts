import type { MessageView } from '@chat/contracts';
import { eventually, newUserId, TestStack, type TestClient } from './support/harness';

function collect(c: TestClient, event: string): any[] {
  const seen: any[] = [];
  c.socket.on(event, (p: unknown) => seen.push(p));
  return seen;
}

/** The parts of the README's socket and REST tables no other test calls: each does what the table says. */
describe('client contract', () => {
  const t = new TestStack();
  beforeAll(() => t.start(), 120_000);
  afterAll(() => t.stop(), 60_000);

  it('join_or_create_room answers { ok, roomId, conversation } and emits join_room_success; again, the same room', async () => {
    const a = newUserId();
    const b = newUserId();
    const alice = await t.connect(await t.token(a), 0);
    const joined = collect(alice, 'join_room_success');
    const first = await alice.request('join_or_create_room', { participantId: b });
    expect(first).toMatchObject({ ok: true, roomId: expect.any(String), conversation: { id: first.roomId, participants: [a, b].sort() } });
    await alice.waitFor(() => joined.length === 1, 'join_room_success');
    expect(joined[0]).toEqual({ roomId: first.roomId, conversation: first.conversation });

    // bob joining from his side gets the same conversation, and can send in it at once
    const bob = await t.connect(await t.token(b), 1);
    const again = await bob.request('join_or_create_room', { participantId: a });
    expect(again).toMatchObject({ ok: true, roomId: first.roomId });
    expect((await bob.request('send_message', { receiverId: a, roomId: again.roomId, content: 'hi', clientMsgId: 'j-1' })).ok).toBe(true);
    await alice.waitFor(() => alice.received.length === 1, 'the message in the joined room');

    const refused = await alice.request('join_or_create_room', { participantId: 'not-an-id' });
    expect(refused).toMatchObject({ ok: false, error: { code: 'VALIDATION_FAILED' } });
    expect(joined).toHaveLength(1);
  });

  it('a group change reaches every member as group_updated with the group as it now is', async () => {
    const [x, y] = [newUserId(), newUserId()];
    const [tx, ty] = await Promise.all([t.token(x), t.token(y)]);
    // y lets anyone add it to a group (group-consent.test.ts covers the default)
    await t.http('PATCH', '/chat/me/settings', { token: ty, body: { groupAdds: 'everyone' } });
    const sx = await t.connect(tx, 0);
    const sy = await t.connect(ty, 1);
    const ux = collect(sx, 'group_updated');
    const uy = collect(sy, 'group_updated');
    const created = await t.http('POST', '/chat/groups', { token: tx, body: { name: 'first', memberIds: [y] } });
    expect(created.status).toBe(202);
    const groupId = created.body.groupId;
    await sy.waitFor(() => uy.some((u) => u.op === 'create'), 'group_updated for the creation');
    expect((await t.http('PATCH', `/chat/groups/${groupId}`, { token: tx, body: { name: 'second' } })).status).toBe(202);
    for (const [s, seen] of [
      [sx, ux],
      [sy, uy],
    ] as const) {
      await s.waitFor(() => seen.some((u) => u.op === 'rename'), 'group_updated for the rename');
      expect(seen.find((u) => u.op === 'rename')).toMatchObject({
        groupId,
        op: 'rename',
        actorId: x,
        group: { id: groupId, name: 'second', members: [x, y], admins: [x] },
      });
    }
  });

  it('PATCH /chat/message/read/:messageId: the receiver reads up to that message, the sender hears it, unread drops', async () => {
    const { a, b, ta, tb, roomId } = await t.pair();
    const alice = await t.connect(ta, 0);
    const readToAlice = collect(alice, 'message_read_ack');
    const sent: MessageView[] = [];
    for (let i = 0; i < 3; i++)
      sent.push((await alice.request('send_message', { receiverId: b, roomId, content: `r${i}`, clientMsgId: `r-${i}` })).message);
    await eventually(async () => (await t.http('GET', `/chat/message/unread/${b}`, { token: tb })).body.count === 3, 'three unread');

    expect((await t.http('PATCH', `/chat/message/read/${sent[1].id}`, { token: ta })).status).toBe(403); // the sender
    const r = await t.http('PATCH', `/chat/message/read/${sent[1].id}`, { token: tb });
    expect(r.status).toBe(202);
    await alice.waitFor(() => readToAlice.length === 1, 'the sender told of the read');
    expect(readToAlice[0]).toMatchObject({ messageId: sent[1].id, roomId, readBy: b, upToSeq: 2 });
    await eventually(async () => (await t.http('GET', `/chat/message/unread/${b}`, { token: tb })).body.count === 1, 'one left unread');
    expect((await t.http('GET', `/chat/message/unread/${b}`, { token: tb })).body).toEqual({ count: 1, byRoom: { [roomId]: 1 } });
    const h = await t.http('GET', `/chat/messages/${roomId}?after=0`, { token: ta });
    expect(h.body.messages.map((m: MessageView) => m.status)).toEqual(['read', 'read', 'sent']);
    void a;
  });

  it('PATCH /chat/message/:messageId/delivered on an unread message: the sender hears delivered, unread stays', async () => {
    const { b, ta, tb, roomId } = await t.pair();
    const alice = await t.connect(ta, 0);
    const deliveredToAlice = collect(alice, 'message_delivered');
    const readToAlice = collect(alice, 'message_read_ack');
    const m1 = (await alice.request('send_message', { receiverId: b, roomId, content: 'one', clientMsgId: 'd-1' })).message;
    const m2 = (await alice.request('send_message', { receiverId: b, roomId, content: 'two', clientMsgId: 'd-2' })).message;
    await eventually(async () => (await t.http('GET', `/chat/message/unread/${b}`, { token: tb })).body.count === 2, 'two unread');

    expect((await t.http('PATCH', `/chat/message/${m1.id}/delivered`, { token: ta })).status).toBe(403); // the sender
    expect((await t.http('PATCH', `/chat/message/${m1.id}/delivered`, { token: tb })).status).toBe(202);
    await alice.waitFor(() => deliveredToAlice.length === 1, 'the sender told of the delivery');
    expect(deliveredToAlice[0]).toMatchObject({ messageId: m1.id, roomId, deliveredBy: b, upToSeq: 1 });
    await eventually(
      async () => (await t.http('GET', `/chat/messages/${roomId}?after=0`, { token: ta })).body.messages[0].status === 'delivered',
      'stored as delivered',
    );
    const h = await t.http('GET', `/chat/messages/${roomId}?after=0`, { token: ta });
    expect(h.body.messages.map((m: MessageView) => [m.id, m.status])).toEqual([
      [m1.id, 'delivered'],
      [m2.id, 'sent'],
    ]);
    expect((await t.http('GET', `/chat/message/unread/${b}`, { token: tb })).body).toEqual({ count: 2, byRoom: { [roomId]: 2 } });
    expect(readToAlice).toEqual([]);
  });
});
