import { Redis } from 'ioredis';
import type { MessageView } from '@chat/contracts';
import { TestStack } from './support/harness';

/**
 * Promise 1 when only the edges' Redis subscriptions drop (a network blip, a proxy, `CLIENT KILL TYPE
 * pubsub`): what fanout published meanwhile never reaches the edge, while what it publishes after the
 * edge subscribed again does. The edge must not hand the later messages to the socket before its catch-up
 * from the store has brought the lost ones: a socket gate that has handed seq 11 drops seq 10 for good.
 */
describe('Redis subscriptions dropped under a stream of messages', () => {
  const t = new TestStack();
  beforeAll(() => t.start(), 120_000);
  afterAll(() => t.stop(), 60_000);

  it('the receiver gets every acknowledged message once and in order, without reconnecting', async () => {
    const { b, ta, tb, roomId } = await t.pair();
    const alice = await t.connect(ta, 0);
    const bob = await t.connect(tb, 1);
    const killer = new Redis(process.env.TEST_REDIS_URL!);

    const acked: MessageView[] = [];
    let sending = true;
    const kills = (async () => {
      let n = 0;
      while (sending) {
        await new Promise((r) => setTimeout(r, 400));
        n += Number(await killer.client('KILL', 'TYPE', 'pubsub'));
      }
      return n;
    })();
    // sends one after another (each waits for its acknowledgement), so messages keep flowing through every drop
    for (let i = 0; i < 400; i++) {
      const r = await alice.request('send_message', { receiverId: b, roomId, content: `s${i}`, clientMsgId: `s-${i}` }, 15_000);
      expect(r.ok).toBe(true);
      acked.push(r.message);
    }
    sending = false;
    const killed = await kills;
    killer.disconnect();
    expect(killed).toBeGreaterThan(0);

    await bob.expectReceivedInOrder(acked, 60_000);
  }, 180_000);

  it('a message deleted while the receiver is held for a catch-up reaches it before its delete, never after', async () => {
    const { b, ta, tb, roomId } = await t.pair();
    const alice = await t.connect(ta, 0);
    const bob = await t.connect(tb, 1);
    const seen: string[] = [];
    bob.socket.on('receive_message', (p: { message: MessageView }) => seen.push(`message ${p.message.id}`));
    bob.socket.on('message_deleted', (p: { messageId: string }) => seen.push(`deleted ${p.messageId}`));
    const first = await alice.request('send_message', { receiverId: b, roomId, content: 'hello', clientMsgId: 'd-0' });
    await bob.waitFor(() => bob.received.length === 1, 'the first message');

    const killer = new Redis(process.env.TEST_REDIS_URL!);
    const ids: string[] = [];
    try {
      // each round: the subscriptions drop, and once they are back (the edges still hold their sockets until
      // the catch-up, half a second later) a message is sent and at once deleted
      for (let round = 0; round < 5; round++) {
        await killer.client('KILL', 'TYPE', 'pubsub');
        await new Promise((r) => setTimeout(r, 150));
        const sent = await alice.request('send_message', {
          receiverId: b,
          roomId,
          content: `secret ${round}`,
          clientMsgId: `d-${round + 1}`,
        });
        expect(sent.ok).toBe(true);
        const del = await alice.request('delete_message', { messageId: sent.message.id });
        expect(del.ok).toBe(true);
        ids.push(sent.message.id);
        await bob.waitFor(() => seen.includes(`deleted ${sent.message.id}`), `the delete of round ${round}`);
      }
    } finally {
      killer.disconnect(); // also when a round fails: an open connection keeps jest from exiting
    }
    expect(first.ok).toBe(true);
    // every delete arrived, and whatever bob was shown of a deleted message came before its delete (a
    // message the catch-up read already deleted is never shown)
    const order = ids.map((id) => {
      const shown = seen.lastIndexOf(`message ${id}`);
      const deleted = seen.indexOf(`deleted ${id}`);
      return { id, deleted: deleted !== -1, shownAfterDelete: shown > deleted };
    });
    expect(order).toEqual(ids.map((id) => ({ id, deleted: true, shownAfterDelete: false })));
  }, 60_000);
});
