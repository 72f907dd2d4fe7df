import { execFile } from 'node:child_process';
import { Redis } from 'ioredis';
import { promisify } from 'node:util';
import type { MessageView } from '@chat/contracts';
import { deleteKeys } from '@chat/stack';
import { TestStack, type TestClient } from './support/harness';

/** A client that retries a refused send with the same clientMsgId, as a real app does; `refused` counts the refusals. */
async function sendWithRetry(c: TestClient, payload: Record<string, unknown>, refused: { n: number }): Promise<MessageView> {
  for (let attempt = 0; attempt < 60; attempt++) {
    const r = await c.request('send_message', payload, 15_000).catch(() => ({ ok: false }));
    if (r.ok) return r.message;
    refused.n++;
    await new Promise((res) => setTimeout(res, 500));
  }
  throw new Error('send never accepted');
}

const rabbitmqctl = (...args: string[]) => promisify(execFile)('rabbitmqctl', args, { timeout: 120_000 });

/** Promise 1 under a broker restart: what was acknowledged is delivered, once, in order. */
describe('RabbitMQ restart', () => {
  const t = new TestStack();
  beforeAll(() => t.start(), 120_000);
  afterAll(() => t.stop(), 60_000);

  it('loses and duplicates nothing that was acknowledged while the broker restarts mid-stream', async () => {
    const { b, ta, tb, roomId } = await t.pair();
    const alice = await t.connect(ta, 0);
    const bob = await t.connect(tb, 1);
    const acked: MessageView[] = [];
    const refused = { n: 0 };
    const waitedBefore = await t.metricSum('edge', 'chat_broker_publish_waited_total');
    let restarted: Promise<void> | null = null;
    let down = false;
    for (let i = 0; i < 120 || down; i++) {
      if (i === 40) {
        // runs beside the sends: while the broker is down a send waits for the reconnect or is refused and retried
        down = true;
        restarted = (async () => {
          await rabbitmqctl('stop_app');
          await rabbitmqctl('start_app');
        })().finally(() => (down = false));
      }
      acked.push(await sendWithRetry(alice, { receiverId: b, roomId, content: `q${i}`, clientMsgId: `q-${i}` }, refused));
    }
    await restarted;
    // the restart met the traffic: sends were refused, or publishes waited on the reconnect
    const waited = (await t.metricSum('edge', 'chat_broker_publish_waited_total')) - waitedBefore;
    expect(refused.n + waited).toBeGreaterThan(0);
    const n = acked.length;
    await bob.waitFor(() => bob.received.length >= n, `all ${n} delivered`, 150_000);
    await new Promise((r) => setTimeout(r, 1000));
    expect(bob.received.map((m) => m.content)).toEqual(acked.map((m) => m.content));
    expect(new Set(bob.received.map((m) => m.id)).size).toBe(n);
  }, 300_000);
});

/** Promise 1 when Redis loses its data (restart without persistence, FLUSHALL): connected users catch up. */
describe('Redis losing its data', () => {
  const t = new TestStack({ env: { PRESENCE_TTL_MS: '3000' } });
  beforeAll(() => t.start(), 120_000);
  afterAll(() => t.stop(), 60_000);

  /** Alice on one edge, bob on the other, one message ('before') delivered. */
  const chatting = async (clientMsgId: string) => {
    const { b, ta, tb, roomId } = await t.pair();
    const alice = await t.connect(ta, 0);
    const bob = await t.connect(tb, 1);
    await alice.request('send_message', { receiverId: b, roomId, content: 'before', clientMsgId });
    await bob.waitFor(() => bob.received.length === 1, 'first message');
    return { alice, bob, b, roomId };
  };

  it('delivers to a still-connected user, once and in order, what fanout parked while presence was gone', async () => {
    const { alice, bob, b, roomId } = await chatting('f-0');

    // what a Redis restart without persistence does to this stack's data (other stacks' keys are left alone)
    const redis = new Redis(process.env.TEST_REDIS_URL!);
    await deleteKeys(redis, `${t.namespace}:*`);
    redis.disconnect();

    for (let i = 1; i <= 20; i++) {
      const r = await alice.request('send_message', { receiverId: b, roomId, content: `after ${i}`, clientMsgId: `f-${i}` });
      expect(r.ok).toBe(true);
    }
    await bob.waitFor(() => bob.received.length >= 21, 'all 21, without reconnecting', 30_000);
    await new Promise((r) => setTimeout(r, 1500));
    expect(bob.received.map((m) => m.content)).toEqual(['before', ...Array.from({ length: 20 }, (_, i) => `after ${i + 1}`)]);
    expect(bob.socket.connected).toBe(true);
  });

  it('delivers to a still-connected user what fanout parked while its presence had lapsed (a heartbeat that ran late)', async () => {
    const { alice, bob, b, roomId } = await chatting('l-0');

    // what a starved edge looks like from Redis: bob's entry is still there, its expiry has passed (the
    // key outlives the score by the round trip that set them), so fanout counts bob offline and parks
    const redis = new Redis(process.env.TEST_REDIS_URL!);
    const key = `${t.namespace}:presence:${b}`;
    const [socketId] = await redis.zrange(key, 0, 0);
    const lapse = async () => {
      await redis.zadd(key, Date.now() - 1, socketId);
      await redis.pexpire(key, 60_000);
    };
    await lapse();
    const sent = alice.request('send_message', { receiverId: b, roomId, content: 'while lapsed', clientMsgId: 'l-1' });
    // keep it lapsed (the edge's heartbeat would extend it) until fanout has parked the message
    const deadline = Date.now() + 20_000;
    let parked = false;
    while (!parked && Date.now() < deadline) {
      await lapse();
      parked = (await redis.exists(`${t.namespace}:bull:offline.${b}:${(await sent).message?.id}`)) === 1 || bob.received.length > 1;
      await new Promise((r) => setTimeout(r, 10));
    }
    redis.disconnect();
    expect((await sent).ok).toBe(true);
    // the next heartbeat sees the lapse and catches bob up, without a reconnect
    await bob.waitFor(() => bob.received.length >= 2, 'the parked message, without reconnecting', 15_000);
    expect(bob.received.map((m) => m.content)).toEqual(['before', 'while lapsed']);
    expect(bob.socket.connected).toBe(true);
  });
});
