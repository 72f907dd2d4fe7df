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

    await bob
      .waitFor(() => new Set(bob.received.map((m) => m.id)).size >= acked.length, 'every acknowledged message', 60_000)
      .catch(() => undefined);
    await new Promise((r) => setTimeout(r, 1500));
    const got = new Set(bob.received.map((m) => m.id));
    expect(acked.filter((m) => !got.has(m.id)).map((m) => m.content)).toEqual([]);
    expect(bob.received.map((m) => m.id)).toEqual(acked.map((m) => m.id));
    expect(bob.socket.connected).toBe(true);
  }, 180_000);
});
