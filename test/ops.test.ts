import amqp from 'amqplib';
import { buildTopology } from '@chat/broker';
import { pairKey, DEFAULT_PARTITIONS, partitionOf } from '@chat/contracts';
import { createModels, connectStore } from '@chat/store';
import { eventually, newUserId, TestStack } from './support/harness';
import { TcpProxy } from './support/tcp-proxy';

/** Operations: every process serves health, readiness and Prometheus metrics; the dashboard is admin-only. */
describe('operations endpoints', () => {
  // the services reach Redis through a relay the test can cut, as a partition would
  const redis = new URL(process.env.TEST_REDIS_URL ?? 'redis://127.0.0.1:6379');
  const proxy = new TcpProxy(redis.hostname, Number(redis.port || 6379));
  let t: TestStack;
  beforeAll(async () => {
    await proxy.start();
    t = new TestStack({ redisUrl: `redis://127.0.0.1:${proxy.port}`, workers: 1 });
    await t.start();
  }, 120_000);
  afterAll(async () => {
    await t?.stop();
    await proxy.stop();
  }, 60_000);

  const get = async (url: string) => {
    const r = await fetch(url, { signal: AbortSignal.timeout(10_000) });
    const text = await r.text();
    return { status: r.status, text, json: () => JSON.parse(text) };
  };
  const readyz = async (name: string) => (await get(`${t.stack.opsUrls.get(name)}/readyz`)).json();
  const metrics = async (name: string) => (await get(`${t.stack.opsUrls.get(name)}/metrics`)).text;
  /** The value of one sample, e.g. value(text, 'chat_errors_total', { code: 'VALIDATION_FAILED' }). */
  const value = (text: string, metric: string, labels: Record<string, string> = {}) => {
    const line = text
      .split('\n')
      .find(
        (l) =>
          (l.startsWith(`${metric}{`) || l.startsWith(`${metric} `)) && Object.entries(labels).every(([k, v]) => l.includes(`${k}="${v}"`)),
      );
    return line ? Number(line.slice(line.lastIndexOf(' ') + 1)) : undefined;
  };

  it('every process is alive and ready, naming each dependency it checked', async () => {
    const expected: Record<string, string[]> = {
      'edge-1': ['redis', 'mongodb', 'rabbitmq', 'auth'],
      'edge-2': ['redis', 'mongodb', 'rabbitmq', 'auth'],
      'persistence-1': ['mongodb', 'rabbitmq'],
      'fanout-1': ['redis', 'mongodb', 'rabbitmq'],
      'receipts-1': ['redis', 'mongodb', 'rabbitmq'],
      auth: [],
    };
    expect([...t.stack.opsUrls.keys()].sort()).toEqual(Object.keys(expected).sort());
    for (const [name, deps] of Object.entries(expected)) {
      const base = t.stack.opsUrls.get(name)!;
      expect((await get(`${base}/healthz`)).status).toBe(200);
      const ready = await get(`${base}/readyz`);
      expect({ name, status: ready.status }).toEqual({ name, status: 200 });
      expect(ready.json()).toEqual({ status: 'ready', checks: Object.fromEntries(deps.map((d) => [d, 'ok'])) });
    }
  });

  it('exports the metrics operators watch, moving with the traffic', async () => {
    const { b, ta, tb, roomId } = await t.pair();
    const alice = await t.connect(ta, 0);
    const bob = await t.connect(tb, 1);
    for (let i = 0; i < 5; i++)
      expect((await alice.request('send_message', { receiverId: b, roomId, content: `m${i}`, clientMsgId: `m-${i}` })).ok).toBe(true);
    await bob.waitFor(() => bob.received.length === 5, 'five delivered');
    expect((await t.http('POST', '/chat/messages', { token: ta, body: { roomId, content: 1 } })).status).toBe(400);

    const edge = await metrics('edge-1');
    expect(value(edge, 'chat_sockets_connected')).toBeGreaterThanOrEqual(1);
    expect(value(edge, 'chat_broker_published_total', { stage: 'message.send.v1', outcome: 'confirmed' })).toBeGreaterThanOrEqual(5);
    expect(value(edge, 'chat_auth_lookups_total', { result: 'hit' })).toBeGreaterThanOrEqual(1);
    expect(value(edge, 'chat_errors_total', { code: 'VALIDATION_FAILED', transport: 'http' })).toBeGreaterThanOrEqual(1);
    expect(edge).toContain('chat_process_resident_memory_bytes');
    expect(edge).toMatch(/service="edge"/);

    await eventually(
      async () => (value(await metrics('fanout-1'), 'chat_delivery_latency_seconds_count') ?? 0) >= 5,
      'latency histogram counted the deliveries',
    );
    const fanout = await metrics('fanout-1');
    expect(value(fanout, 'chat_delivery_latency_seconds_bucket', { le: '+Inf' })).toBeGreaterThanOrEqual(5);
    const persistQueue = `${t.namespace}.persistence.message.store.p${partitionOf(roomId, DEFAULT_PARTITIONS)}`;
    const persistence = await metrics('persistence-1');
    expect(value(persistence, 'chat_broker_consumed_total', { queue: persistQueue, outcome: 'ack' })).toBeGreaterThanOrEqual(5);
    expect(value(persistence, 'chat_queue_depth', { queue: persistQueue })).toBe(0);
    expect(value(persistence, 'chat_queue_consumers', { queue: persistQueue })).toBe(1);
    // a fresh namespace with nothing failed: the dead-letter gauge reads its queue as empty (the dead-letter test below sees it move)
    expect(value(persistence, 'chat_dead_letters')).toBe(0);
    expect(value(persistence, 'chat_queue_oldest_message_age_seconds', { queue: persistQueue })).toBeLessThan(60);
    expect(value(await metrics('auth'), 'chat_auth_lookups_total', { result: 'valid' })).toBeGreaterThanOrEqual(2);
  });

  it('readiness fails while a dependency is unreachable and recovers by itself when it returns', async () => {
    proxy.cut();
    try {
      await eventually(
        async () => (await get(`${t.stack.opsUrls.get('edge-1')}/readyz`)).status === 503,
        'edge unready without Redis',
        20_000,
      );
      for (const name of ['edge-1', 'fanout-1', 'receipts-1']) {
        await eventually(async () => (await readyz(name)).status === 'unready', `${name} unready`, 20_000);
        const r = await readyz(name);
        // ok or not ok only: the reason stays in the logs and metrics, not in an answer anyone can fetch
        expect(r.checks.redis).toBe('unavailable');
        expect(r.checks.mongodb).toBe('ok');
      }
      expect(await readyz('persistence-1')).toEqual({ status: 'ready', checks: { mongodb: 'ok', rabbitmq: 'ok' } });
    } finally {
      proxy.restore();
    }
    for (const name of ['edge-1', 'edge-2', 'fanout-1', 'receipts-1']) {
      await eventually(async () => (await readyz(name)).status === 'ready', `${name} ready again`, 30_000);
    }

    await t.stack.kill('auth');
    try {
      await eventually(async () => (await readyz('edge-1')).checks.auth === 'unavailable', 'edge sees auth gone', 20_000);
      expect((await get(`${t.stack.opsUrls.get('edge-1')}/readyz`)).status).toBe(503);
      expect((await get(`${t.stack.opsUrls.get('edge-1')}/healthz`)).status).toBe(200);
    } finally {
      await t.stack.restart('auth');
    }
    await eventually(async () => (await readyz('edge-1')).status === 'ready', 'edge ready after auth returns', 30_000);
  }, 120_000);

  describe('dashboard /admin', () => {
    it('refuses anyone but an admin', async () => {
      const user = await t.token(newUserId());
      const admin = await t.token(newUserId(), 'admin');
      expect((await t.http('GET', '/admin/api/queues')).status).toBe(401);
      expect((await t.http('GET', '/admin/api/queues', { token: user })).status).toBe(403);
      expect((await t.http('GET', '/admin/queues/api/queues', { token: user })).status).toBe(403);
      expect(
        (await t.http('POST', '/admin/api/dead-letters/replay', { token: user, headers: { 'x-chat-admin': '1' }, body: {} })).status,
      ).toBe(403);
      // a cookie-authenticated change needs the header a cross-site form cannot send
      expect((await t.http('POST', '/admin/api/dead-letters/replay', { token: admin, body: {} })).status).toBe(403);
      const page = await fetch(`${t.edge(0)}/admin`, { headers: { accept: 'text/html' }, redirect: 'manual' });
      expect(page.status).toBe(303);
      expect(page.headers.get('location')).toBe('/admin/login');
      const queues = await t.http('GET', '/admin/api/queues', { token: admin });
      expect(queues.status).toBe(200);
      expect(queues.body.queues).toHaveLength(3 * DEFAULT_PARTITIONS + 1);
      expect(queues.body.queues.find((q: { stage: string }) => q.stage === 'dead-letter')).toMatchObject({
        queue: `${t.namespace}.dead-letter`,
      });
      expect((await t.http('GET', '/admin/api/dead-letters?limit=0', { token: admin })).status).toBe(400);
    });

    it('lists a dead letter with where it died, and replays it once the cause is fixed', async () => {
      const admin = await t.token(newUserId(), 'admin');
      const a = newUserId();
      const b = newUserId();
      const tb = await t.token(b);
      const bob = await t.connect(tb, 1);
      // a send for a room the store does not have (say, restored from an older backup): dead-lettered
      const roomId = 'c0ffee' + newUserId().slice(6);
      const topology = buildTopology(t.namespace);
      const conn = await amqp.connect(process.env.TEST_RABBITMQ_URL!);
      try {
        const ch = await conn.createConfirmChannel();
        const command = {
          type: 'message.send.v1',
          correlationId: 'replay-me',
          message: {
            id: newUserId(),
            roomId,
            senderId: a,
            receiverId: b,
            content: 'came back from the dead',
            clientMsgId: 'dl-1',
            createdAt: new Date().toISOString(),
          },
        };
        ch.publish(topology.exchange, `message.send.v1.p${partitionOf(roomId, DEFAULT_PARTITIONS)}`, Buffer.from(JSON.stringify(command)), {
          persistent: true,
          headers: { correlationId: 'replay-me' },
        });
        await ch.waitForConfirms();
        await ch.close();
      } finally {
        await conn.close();
      }
      let listed: Array<Record<string, unknown>> = [];
      await eventually(async () => {
        listed = (await t.http('GET', '/admin/api/dead-letters', { token: admin })).body.deadLetters;
        return listed.some((d) => d.correlationId === 'replay-me');
      }, 'the dead letter is listed');
      expect(listed.find((d) => d.correlationId === 'replay-me')).toMatchObject({
        queue: `${t.namespace}.persistence.message.store.p${partitionOf(roomId, DEFAULT_PARTITIONS)}`,
        routingKey: `message.send.v1.p${partitionOf(roomId, DEFAULT_PARTITIONS)}`,
        type: 'message.send.v1',
      });
      const deadLetters = async () => value(await metrics('persistence-1'), 'chat_dead_letters');
      await eventually(async () => (await deadLetters()) === 1, 'the dead-letter gauge counting it');
      // listing does not consume
      expect(
        (await t.http('GET', '/admin/api/dead-letters', { token: admin })).body.deadLetters.some(
          (d: { correlationId?: string }) => d.correlationId === 'replay-me',
        ),
      ).toBe(true);

      // the operator restores the room, then replays
      const db = connectStore(new URL(`/${t.namespace}`, process.env.TEST_MONGO_URL).toString(), 'ops-test');
      try {
        const now = new Date();
        await createModels(db).Conversation.create({
          _id: roomId,
          key: pairKey(a, b),
          kind: 'direct',
          participants: [a, b].sort(),
          lastSeq: 0,
          lastActivityAt: now,
          createdAt: now,
        });
      } finally {
        await db.close();
      }
      const replay = await t.http('POST', '/admin/api/dead-letters/replay', {
        token: admin,
        headers: { 'x-chat-admin': '1' },
        body: { limit: 100 },
      });
      expect(replay.status).toBe(200);
      expect(replay.body.replayed).toBe(1);
      await bob.waitFor(() => bob.received.some((m) => m.content === 'came back from the dead'), 'the replayed message delivered');
      await new Promise((r) => setTimeout(r, 500));
      expect(bob.received.filter((m) => m.content === 'came back from the dead')).toHaveLength(1);
      expect(
        (await t.http('GET', '/admin/api/dead-letters', { token: admin })).body.deadLetters.some(
          (d: { correlationId?: string }) => d.correlationId === 'replay-me',
        ),
      ).toBe(false);
      expect(await deadLetters()).toBe(0);
    });
  });
});
