import type { MessageView } from '@chat/contracts';
import { Redis } from 'ioredis';
import { eventually, TestStack, type TestClient } from './support/harness';

function collect(c: TestClient, event: string): any[] {
  const seen: any[] = [];
  c.socket.on(event, (p: unknown) => seen.push(p));
  return seen;
}

async function send(c: TestClient, to: string, roomId: string, content: string, clientMsgId: string): Promise<MessageView> {
  const r = await c.request('send_message', { receiverId: to, roomId, content, clientMsgId });
  if (!r.ok) throw new Error(JSON.stringify(r));
  return r.message;
}

/** Edit, soft delete, receipts and unread counts over both transports, through the real pipeline. */
describe('message lifecycle', () => {
  const t = new TestStack();
  beforeAll(() => t.start(), 120_000);
  afterAll(() => t.stop(), 60_000);

  it('lets the sender edit: the editor gets the status, the peer the change, history the new content', async () => {
    const { b, ta, tb, roomId } = await t.pair();
    const alice = await t.connect(ta, 0);
    const bob = await t.connect(tb, 1);
    const status = collect(alice, 'edit_message_status');
    const edited = collect(bob, 'message_edited');
    const m = await send(alice, b, roomId, 'helo', 'e-1');
    // edited at once, while the message may still be on its way to the store
    const ack = await alice.request('edit_message', { messageId: m.id, newContent: 'hello' });
    expect(ack).toMatchObject({ ok: true, messageId: m.id, status: 'accepted' });
    await alice.waitFor(() => status.length === 1, 'edit status');
    expect(status[0]).toMatchObject({ messageId: m.id, status: 'edited', content: 'hello' });
    await bob.waitFor(() => edited.length === 1, 'peer sees the edit');
    expect(edited[0]).toMatchObject({ messageId: m.id, roomId, content: 'hello' });
    expect(typeof edited[0].editedAt).toBe('string');

    const viaRest = await t.http('PUT', `/chat/message/${m.id}`, { token: ta, body: { content: 'hello again' } });
    expect(viaRest.status).toBe(202);
    await eventually(
      async () => (await t.http('GET', `/chat/messages/${roomId}`, { token: tb })).body.messages[0].content === 'hello again',
      'history',
    );
    const h = await t.http('GET', `/chat/messages/${roomId}`, { token: tb });
    expect(h.body.messages[0].editedAt).not.toBeNull();
  });

  it('refuses edits and deletes by the peer over both transports, and changes nothing', async () => {
    const { a, b, ta, tb, roomId } = await t.pair();
    const alice = await t.connect(ta, 0);
    const bob = await t.connect(tb, 1);
    const m = await send(alice, b, roomId, 'mine', 'p-1');
    await eventually(async () => (await t.http('GET', `/chat/messages/${roomId}`, { token: ta })).body.messages.length === 1, 'stored');

    const bobStatus = collect(bob, 'edit_message_status');
    const e1 = await bob.request('edit_message', { messageId: m.id, newContent: 'hijacked' });
    expect(e1).toMatchObject({ ok: false, error: { code: 'FORBIDDEN' } });
    expect(bobStatus[0]).toMatchObject({ messageId: m.id, status: 'error' });
    const d1 = await bob.request('delete_message', { messageId: m.id });
    expect(d1).toMatchObject({ ok: false, error: { code: 'FORBIDDEN' } });
    const e2 = await t.http('PUT', `/chat/message/${m.id}`, { token: tb, body: { content: 'hijacked' } });
    expect(e2.status).toBe(403);
    const e3 = await t.http('PUT', `/chat/message/${m.id}`, { token: tb, body: { senderId: a, content: 'hijacked' } });
    expect(e3.status).toBe(403);
    const d2 = await t.http('DELETE', `/chat/message/${m.id}/${b}`, { token: tb });
    expect(d2.status).toBe(403);
    const d3 = await t.http('DELETE', `/chat/message/${m.id}/${a}`, { token: tb });
    expect(d3.status).toBe(403);

    // a later message of the same room, once stored, comes after anything the refusals could have set off
    const later = await send(alice, b, roomId, 'later', 'p-2');
    await eventually(
      async () =>
        (await t.http('GET', `/chat/messages/${roomId}?after=0`, { token: ta })).body.messages.some((x: MessageView) => x.id === later.id),
      'the later message stored',
    );
    const h = await t.http('GET', `/chat/messages/${roomId}?after=0`, { token: ta });
    expect(h.body.messages[0]).toMatchObject({ id: m.id, content: 'mine', editedAt: null, deletedAt: null });
  });

  it('soft-deletes: tombstone in history, notices to both sides, no edit afterwards', async () => {
    const { a, b, ta, tb, roomId } = await t.pair();
    const alice = await t.connect(ta, 0);
    const bob = await t.connect(tb, 1);
    const deleted = collect(bob, 'message_deleted');
    const status = collect(alice, 'delete_message_status');
    const m = await send(alice, b, roomId, 'oops', 'd-1');
    await send(alice, b, roomId, 'fine', 'd-2');
    const r = await t.http('DELETE', `/chat/message/${m.id}/${a}`, { token: ta });
    expect(r.status).toBe(202);
    await bob.waitFor(() => deleted.length === 1, 'peer told');
    expect(deleted[0]).toMatchObject({ messageId: m.id, roomId });
    await alice.waitFor(() => status.length === 1, 'deleter told');
    expect(status[0]).toMatchObject({ messageId: m.id, status: 'deleted' });

    const h = await t.http('GET', `/chat/messages/${roomId}?after=0`, { token: tb });
    expect(h.body.messages[0]).toEqual({ id: m.id, roomId, seq: h.body.messages[0].seq, deleted: true, deletedAt: expect.any(String) });
    expect(JSON.stringify(h.body)).not.toContain('oops');
    const edit = await alice.request('edit_message', { messageId: m.id, newContent: 'back' });
    expect(edit).toMatchObject({ ok: false, error: { code: 'CONFLICT' } });

    // the conversation's last message shows a tombstone once the last one is deleted
    const last = await send(alice, b, roomId, 'last words', 'd-3');
    await t.http('DELETE', `/chat/message/${last.id}/${a}`, { token: ta });
    await eventually(async () => {
      const c = await t.http('GET', `/chat/conversations/${b}`, { token: tb });
      const conv = c.body.conversations.find((x: { id: string }) => x.id === roomId);
      return conv?.lastMessage?.deleted === true && conv.lastMessage.content === null;
    }, 'tombstone in the conversation list');
  });

  it('takes delivered and read receipts from the receiver only, moves forward only, notifies once', async () => {
    const { a, b, ta, tb, roomId } = await t.pair();
    const alice = await t.connect(ta, 0);
    const bob = await t.connect(tb, 1, { ackReceives: false });
    const deliveredToAlice = collect(alice, 'message_delivered');
    const readToAlice = collect(alice, 'message_read_ack');
    const bobDeliveredAck = collect(bob, 'message_delivered_ack');
    const bobReadStatus = collect(bob, 'message_read_status');
    const m1 = await send(alice, b, roomId, 'one', 'r-1');
    const m2 = await send(alice, b, roomId, 'two', 'r-2');
    await bob.waitFor(() => bob.received.length === 2, 'both delivered');

    const fromSender = await alice.request('message_delivered', { messageId: m1.id });
    expect(fromSender).toMatchObject({ ok: false, error: { code: 'FORBIDDEN' } });
    const fromSenderRest = await t.http('PATCH', `/chat/message/read/${m1.id}`, { token: ta });
    expect(fromSenderRest.status).toBe(403);

    expect(await bob.request('message_delivered', { messageId: m1.id })).toMatchObject({ ok: true, messageId: m1.id, status: 'delivered' });
    await alice.waitFor(() => deliveredToAlice.length === 1, 'sender told delivered');
    expect(deliveredToAlice[0]).toMatchObject({ messageId: m1.id, roomId, deliveredBy: b });
    expect(bobDeliveredAck[0]).toMatchObject({ messageId: m1.id, status: 'delivered' });

    expect(await bob.request('message_read', { messageId: m2.id })).toMatchObject({ ok: true, status: 'read' });
    await alice.waitFor(() => readToAlice.length === 1, 'sender told read');
    // the send's acknowledgement has no seq yet (stored later); the receiver's copy carries it
    expect(readToAlice[0]).toMatchObject({ messageId: m2.id, readBy: b, upToSeq: bob.received.find((x) => x.id === m2.id)!.seq });
    expect(readToAlice[0].upToSeq).toBe(2);
    expect(bobReadStatus[0]).toMatchObject({ messageId: m2.id, status: 'read' });

    // repeated and older receipts change nothing and tell nobody
    await bob.request('message_read', { messageId: m2.id });
    await bob.request('message_delivered', { messageId: m1.id });
    const bulk = await t.http('PATCH', '/chat/messages/delivered', { token: tb, body: { messageIds: [m1.id, m2.id] } });
    expect(bulk.status).toBe(202);
    // a new read behind them in the same room: once the sender hears of it, any notice the repeats set off would have come first
    const m3 = await send(alice, b, roomId, 'three', 'r-3');
    await bob.waitFor(() => bob.received.length === 3, 'the third delivered');
    await bob.request('message_read', { messageId: m3.id });
    await alice.waitFor(() => readToAlice.length >= 2, 'the read of the third');
    expect(readToAlice.map((r) => r.messageId)).toEqual([m2.id, m3.id]);
    expect(deliveredToAlice).toHaveLength(1);

    const h = await t.http('GET', `/chat/messages/${roomId}?after=0`, { token: ta });
    expect(h.body.messages.map((m: MessageView) => m.status)).toEqual(['read', 'read', 'read']);
    expect(h.body.messages[0].readAt).not.toBeNull();
    expect(h.body.messages[0].deliveredAt).not.toBeNull();
    expect((await t.http('PATCH', `/chat/message/${m1.id}/delivered`, { token: tb })).status).toBe(202);
    expect((await t.http('PATCH', '/chat/messages/delivered', { token: tb, body: { messageIds: [] } })).status).toBe(400);
    expect((await t.http('PATCH', '/chat/messages/delivered', { token: tb, body: { messageIds: Array(501).fill(m1.id) } })).status).toBe(
      400,
    );
    void a;
  });

  it('counts unread per room for the caller only, and a room-read clears it with one event', async () => {
    const { a, b, ta, tb, roomId } = await t.pair();
    const alice = await t.connect(ta, 0);
    const readToAlice = collect(alice, 'message_read_ack');
    for (let i = 0; i < 5; i++) await send(alice, b, roomId, `u${i}`, `u-${i}`);
    await eventually(async () => (await t.http('GET', `/chat/message/unread/${b}`, { token: tb })).body.count === 5, 'five unread');
    const u = await t.http('GET', `/chat/message/unread/${b}`, { token: tb });
    expect(u.body).toEqual({ count: 5, byRoom: { [roomId]: 5 } });
    expect((await t.http('GET', `/chat/message/unread/${a}`, { token: ta })).body).toEqual({ count: 0, byRoom: {} });
    expect((await t.http('GET', `/chat/message/unread/${b}`, { token: ta })).status).toBe(403);
    const list = await t.http('GET', `/chat/conversations/${b}`, { token: tb });
    expect(list.body.conversations[0]).toMatchObject({ id: roomId, unreadCount: 5, otherParticipant: a });

    const r = await t.http('PATCH', `/chat/message/read/room/${roomId}/user/${b}`, { token: tb });
    expect(r.status).toBe(202);
    expect(r.body).toMatchObject({ roomId, status: 'read', upToSeq: 5 });
    expect((await t.http('PATCH', `/chat/message/read/room/${roomId}/user/${a}`, { token: tb })).status).toBe(403);
    await eventually(async () => (await t.http('GET', `/chat/message/unread/${b}`, { token: tb })).body.count === 0, 'all read');
    await alice.waitFor(() => readToAlice.length === 1, 'one read event');
    // a sixth message read behind it: its notice comes after any second notice of the room-read
    const sixth = await send(alice, b, roomId, 'u5', 'u-5');
    await eventually(async () => (await t.http('GET', `/chat/message/unread/${b}`, { token: tb })).body.count === 1, 'the sixth unread');
    expect((await t.http('PATCH', `/chat/message/read/${sixth.id}`, { token: tb })).status).toBe(202);
    await alice.waitFor(() => readToAlice.length >= 2, 'the read of the sixth');
    expect(readToAlice.map((r) => r.upToSeq)).toEqual([5, 6]);
    expect(readToAlice[0]).toMatchObject({ roomId, readBy: b, upToSeq: 5 });
  });

  it('hands edits and deletes made while the peer was offline over on reconnect', async () => {
    const { b, ta, tb, roomId } = await t.pair();
    const alice = await t.connect(ta, 0);
    const bob1 = await t.connect(tb, 1);
    const m = await send(alice, b, roomId, 'before', 'o-1');
    const gone = await send(alice, b, roomId, 'to delete', 'o-2');
    await bob1.waitFor(() => bob1.received.length === 2, 'delivered');
    await eventually(
      async () => (await t.http('GET', `/chat/messages/${roomId}`, { token: tb })).body.messages[0].status === 'delivered',
      'acked',
    );
    bob1.close();
    // bob counts as offline once his presence entry is gone: fanout parks what follows
    const redis = new Redis(process.env.TEST_REDIS_URL!);
    try {
      await eventually(async () => (await redis.zcard(`${t.namespace}:presence:${b}`)) === 0, 'bob offline');
    } finally {
      redis.disconnect();
    }
    await alice.request('edit_message', { messageId: m.id, newContent: 'after' });
    await alice.request('delete_message', { messageId: gone.id });
    await eventually(
      async () => (await t.http('GET', `/chat/messages/${roomId}?after=0`, { token: tb })).body.messages[1].deleted === true,
      'applied',
    );
    const bob2 = await t.connect(tb, 0);
    const edited = collect(bob2, 'message_edited');
    const deleted = collect(bob2, 'message_deleted');
    await bob2.waitFor(() => edited.length === 1 && deleted.length === 1, 'parked notices');
    expect(edited[0]).toMatchObject({ messageId: m.id, content: 'after' });
    expect(deleted[0]).toMatchObject({ messageId: gone.id });
    expect(bob2.received).toHaveLength(0);
  });
});

describe('edit window', () => {
  const WINDOW_MS = 1000; // the shortest the config takes; edits inside the default window are the first test's
  const t = new TestStack({ env: { EDIT_WINDOW_MS: String(WINDOW_MS) } });
  beforeAll(() => t.start(), 120_000);
  afterAll(() => t.stop(), 60_000);

  it('refuses an edit after the window over both transports, by the message’s own time', async () => {
    const { b, ta, roomId } = await t.pair();
    const alice = await t.connect(ta, 0);
    const m = await send(alice, b, roomId, 'quick', 'w-1');
    // until the window has closed by the message's own clock
    await eventually(() => Date.now() > Date.parse(m.createdAt) + WINDOW_MS + 50, 'the window closed', 10_000);
    expect(await alice.request('edit_message', { messageId: m.id, newContent: 'too late' })).toMatchObject({
      ok: false,
      error: { code: 'EDIT_WINDOW_CLOSED' },
    });
    const rest = await t.http('PUT', `/chat/message/${m.id}`, { token: ta, body: { content: 'too late' } });
    expect(rest.status).toBe(409);
    expect(rest.body.error.code).toBe('EDIT_WINDOW_CLOSED');
    await eventually(async () => (await t.http('GET', `/chat/messages/${roomId}`, { token: ta })).body.messages.length === 1, 'stored');
    expect((await t.http('GET', `/chat/messages/${roomId}`, { token: ta })).body.messages[0]).toMatchObject({
      content: 'quick',
      editedAt: null,
    });
  });
});
