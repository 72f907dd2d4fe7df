/**
 * A user who connects while the store is unreachable, after Redis lost part of their offline inbox: the
 * inbox alone has a gap, so nothing may be handed over until the store answers; then everything arrives
 * in order, once.
 */
import { Redis } from 'ioredis';
import { eventually, TestStack } from './support/harness';
import { TcpProxy } from './support/tcp-proxy';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('connect-time sync during a store outage', () => {
  const mongoUrl = new URL(process.env.TEST_MONGO_URL ?? 'mongodb://127.0.0.1:27019/chat_test');
  const storeProxy = new TcpProxy(mongoUrl.hostname, Number(mongoUrl.port || 27017));
  let t: TestStack;
  let redis: Redis;

  beforeAll(async () => {
    await storeProxy.start();
    t = await new TestStack({ mongoPort: storeProxy.port, workers: 1 }).start();
    redis = new Redis(process.env.TEST_REDIS_URL!);
  }, 120_000);
  afterAll(async () => {
    storeProxy.restore();
    redis?.disconnect();
    await t?.stop();
    await storeProxy.stop();
  }, 60_000);

  it('holds the socket instead of serving an inbox with a gap, then catches up from the store in order', async () => {
    const { b, ta, tb, roomId } = await t.pair();
    const a = await t.connect(ta, 0);
    const send = async (n: number) => {
      const ack = await a.request('send_message', { receiverId: b, roomId, content: `m${n}`, clientMsgId: `c${n}` });
      expect(ack.ok).toBe(true);
      await a.waitFor(() => a.sent.length === n, `m${n} stored and fanned out`);
    };

    await send(1);
    // Redis loses b's parked copy of m1 (the inbox keys of this user only)
    let keys: string[] = [];
    await eventually(async () => (keys = await redis.keys(`${t.namespace}:bull:offline.${b}*`)).length > 0, 'm1 parked for b');
    await redis.del(...keys);
    await send(2); // parked: the inbox now holds m2 but not m1

    storeProxy.cut();
    const bob = await t.connect(tb, 1);
    // the outage met bob's connect-time sync: its catch-up failed and is held for a retry (a fallback to
    // the inbox would have come before this line)
    await eventually(
      () => t.logLines('edge-2', 'catch-up failed; holding').some((l) => l.userId === b),
      "bob's catch-up failing on the outage",
      60_000,
    );
    expect(bob.received.map((m) => m.content)).toEqual([]);
    expect(bob.socket.connected).toBe(true);

    storeProxy.restore();
    await bob.waitFor(() => bob.received.length >= 2, 'the catch-up once the store answers', 60_000);
    await sleep(1500);
    expect(bob.received.map((m) => [m.content, m.seq])).toEqual([
      ['m1', 1],
      ['m2', 2],
    ]);
  });
});
