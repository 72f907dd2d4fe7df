import type { MessageView } from '@chat/contracts';
import mongoose from 'mongoose';
import { eventually, TestStack } from './support/harness';

/** One-to-one messaging end to end: two edges, two copies of each worker, real RabbitMQ, Redis and store. */
describe('private chat pipeline', () => {
  const t = new TestStack();
  beforeAll(() => t.start(), 120_000);
  afterAll(() => t.stop(), 60_000);

  it('delivers 200 messages from a user on edge 1 to a user on edge 2, in order, once each', async () => {
    const { a, b, ta, tb, roomId } = await t.pair();
    const alice = await t.connect(ta, 0);
    const bob = await t.connect(tb, 1);

    const acks: Array<{ ok: boolean; message: MessageView }> = [];
    for (let i = 0; i < 200; i++) {
      acks.push(await alice.request('send_message', { receiverId: b, roomId, content: `hello ${i}`, clientMsgId: `order-${i}` }));
    }
    expect(acks.every((r) => r.ok && r.message.senderId === a && r.message.roomId === roomId)).toBe(true);

    await bob.waitFor(() => bob.received.length >= 200, '200 messages at bob');
    await new Promise((r) => setTimeout(r, 300)); // anything extra would arrive now
    expect(bob.received.map((m) => m.content)).toEqual(acks.map((_, i) => `hello ${i}`));
    expect(new Set(bob.received.map((m) => m.id)).size).toBe(200);
    const seqs = bob.received.map((m) => m.seq!);
    expect(seqs.every((s, i) => i === 0 || s > seqs[i - 1])).toBe(true);

    // the sender's devices are told the stored message with its seq
    await alice.waitFor(() => alice.sent.length >= 200, 'message_sent for all 200');
    expect(alice.sent.map((m) => m.seq)).toEqual(seqs);
  });

  it('parks messages for an offline user, lists them only to that user, and drains them in order exactly once', async () => {
    const { b, ta, tb, roomId } = await t.pair();
    const alice = await t.connect(ta, 0);
    for (let i = 0; i < 50; i++) {
      const r = await alice.request('send_message', { receiverId: b, roomId, content: `offline ${i}`, clientMsgId: `off-${i}` });
      expect(r.ok).toBe(true);
    }
    await eventually(async () => (await t.http('GET', `/chat/offline/${b}`, { token: tb })).body.messages?.length === 50, '50 parked');
    const parked = await t.http('GET', `/chat/offline/${b}`, { token: tb, edge: 1 });
    expect(parked.status).toBe(200);
    expect(parked.body.messages.map((m: MessageView) => m.content)).toEqual([...Array(50).keys()].map((i) => `offline ${i}`));

    const refused = await t.http('GET', `/chat/offline/${b}`, { token: ta });
    expect(refused.status).toBe(403);
    expect(refused.body.error.code).toBe('FORBIDDEN');

    const bob = await t.connect(tb, 1);
    await bob.waitFor(() => bob.received.length >= 50, '50 drained');
    await new Promise((r) => setTimeout(r, 500));
    expect(bob.received.map((m) => m.content)).toEqual([...Array(50).keys()].map((i) => `offline ${i}`));
    await eventually(async () => (await t.http('GET', `/chat/offline/${b}`, { token: tb })).body.messages.length === 0, 'inbox emptied');
  });

  it('does not re-deliver acknowledged messages on reconnect, but does re-offer unacknowledged ones', async () => {
    const { b, ta, tb, roomId } = await t.pair();
    const alice = await t.connect(ta, 0);
    const bob1 = await t.connect(tb, 1, { ackReceives: true });
    await alice.request('send_message', { receiverId: b, roomId, content: 'acked', clientMsgId: 'r-1' });
    await bob1.waitFor(() => bob1.received.length === 1, 'first message');
    // the ack travels edge → broker → receipts worker; wait until the store has it
    await eventually(async () => {
      const h = await t.http('GET', `/chat/messages/${roomId}`, { token: tb });
      return h.body.messages?.[0]?.status === 'delivered';
    }, 'delivered status');
    bob1.close();

    const bob2 = await t.connect(tb, 0, { ackReceives: false });
    await alice.request('send_message', { receiverId: b, roomId, content: 'not acked', clientMsgId: 'r-2' });
    await bob2.waitFor(() => bob2.received.length === 1, 'second message');
    expect(bob2.received[0].content).toBe('not acked');
    bob2.close();

    const bob3 = await t.connect(tb, 1);
    await bob3.waitFor(() => bob3.received.length === 1, 'unacked message offered again');
    await new Promise((r) => setTimeout(r, 300));
    expect(bob3.received.map((m) => m.content)).toEqual(['not acked']);
  });

  it('answers a resent clientMsgId with the first message; stores and delivers it once', async () => {
    const { b, ta, tb, roomId } = await t.pair();
    const alice = await t.connect(ta, 0);
    const bob = await t.connect(tb, 1);
    const first = await alice.request('send_message', { receiverId: b, roomId, content: 'once', clientMsgId: 'dup-1' });
    const again = await alice.request('send_message', { receiverId: b, roomId, content: 'once (retry)', clientMsgId: 'dup-1' });
    const viaRest = await t.http('POST', '/chat/messages', {
      token: ta,
      edge: 1,
      body: { receiverId: b, roomId, content: 'once (rest)', clientMsgId: 'dup-1' },
    });
    expect(again.message).toEqual(first.message);
    expect(viaRest.status).toBe(202);
    expect(viaRest.body.message).toEqual(first.message);

    await bob.waitFor(() => bob.received.length >= 1, 'delivery');
    await new Promise((r) => setTimeout(r, 700));
    expect(bob.received).toHaveLength(1);
    expect(bob.received[0].content).toBe('once');
    const history = await t.http('GET', `/chat/messages/${roomId}`, { token: ta });
    expect(history.body.messages).toHaveLength(1);
  });

  it('serves history newest first with seq cursors, and oldest first with after', async () => {
    const { b, ta, roomId } = await t.pair();
    for (let i = 0; i < 7; i++) {
      const r = await t.http('POST', '/chat/messages', {
        token: ta,
        body: { receiverId: b, roomId, content: `h${i}`, clientMsgId: `h-${i}` },
      });
      expect(r.status).toBe(202);
    }
    await eventually(
      async () => (await t.http('GET', `/chat/messages/${roomId}?limit=100`, { token: ta })).body.messages.length === 7,
      'stored',
    );
    const page1 = await t.http('GET', `/chat/messages/${roomId}?limit=3`, { token: ta });
    expect(page1.body.order).toBe('desc');
    expect(page1.body.messages.map((m: MessageView) => m.content)).toEqual(['h6', 'h5', 'h4']);
    expect(page1.body.hasMore).toBe(true);
    const last = page1.body.messages[2].seq;
    const page2 = await t.http('GET', `/chat/messages/${roomId}?limit=3&before=${last}`, { token: ta });
    expect(page2.body.messages.map((m: MessageView) => m.content)).toEqual(['h3', 'h2', 'h1']);
    const asc = await t.http('GET', `/chat/messages/${roomId}?after=0&limit=2`, { token: ta });
    expect(asc.body.order).toBe('asc');
    expect(asc.body.messages.map((m: MessageView) => m.content)).toEqual(['h0', 'h1']);
  });

  it('lists the caller’s conversations, most recent first, with the last message', async () => {
    const { a, b, ta, roomId } = await t.pair();
    await t.http('POST', '/chat/messages', { token: ta, body: { receiverId: b, roomId, content: 'latest', clientMsgId: 'l-1' } });
    await eventually(async () => {
      const r = await t.http('GET', `/chat/conversations/${a}`, { token: ta });
      return r.body.conversations?.[0]?.lastMessage?.content === 'latest';
    }, 'conversation summary');
    const r = await t.http('GET', `/chat/conversations/${a}`, { token: ta });
    expect(r.body.conversations[0]).toMatchObject({ id: roomId, otherParticipant: b, lastSeq: 1 });
  });

  it('stores a message without the fields it does not have yet, and shows them as null until an edit or delete', async () => {
    const { b, ta, roomId } = await t.pair();
    const sent = await t.http('POST', '/chat/messages', { token: ta, body: { receiverId: b, roomId, content: 'plain' } });
    expect(sent.status).toBe(202);
    const id = sent.body.message.id as string;
    await eventually(async () => (await t.http('GET', `/chat/messages/${roomId}`, { token: ta })).body.messages?.length === 1, 'stored');
    const shown = (await t.http('GET', `/chat/messages/${roomId}`, { token: ta })).body.messages[0];
    expect(shown).toMatchObject({ id, receiverId: b, content: 'plain', clientMsgId: null, editedAt: null, deletedAt: null });

    // on the stand-in store every field costs about 50 bytes besides its value, so a null is not stored,
    const conn = await mongoose.createConnection(t.storeUrl).asPromise();
    try {
      const raw = await conn.collection('messages').findOne({ _id: new mongoose.Types.ObjectId(id) });
      expect(raw).toMatchObject({ roomId, content: 'plain' });
      // nor is what only the trace needs (the stored time, the accepting edge: in its record), nor a pair's
      // receiver (the other participant, filled in on every read)
      expect(Object.keys(raw!).sort()).toEqual(['_id', 'content', 'createdAt', 'rb', 'roomId', 'senderId', 'seq']);
    } finally {
      await conn.close();
    }

    const edited = await t.http('PUT', `/chat/message/${id}`, { token: ta, body: { content: 'plain, edited' } });
    expect(edited.status).toBeLessThan(300);
    await eventually(
      async () => (await t.http('GET', `/chat/messages/${roomId}`, { token: ta })).body.messages[0].editedAt !== null,
      'edit',
    );
    const after = (await t.http('GET', `/chat/messages/${roomId}`, { token: ta })).body.messages[0];
    expect(after).toMatchObject({ content: 'plain, edited', deletedAt: null });
    expect(Date.parse(after.editedAt)).not.toBeNaN();
  });
});
