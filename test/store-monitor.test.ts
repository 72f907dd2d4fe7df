/**
 * The store connection recovers by itself when the driver's server monitor goes silent. Seen once in the
 * fault suite: after the 10 s store partition one persistence worker's monitor never reported again, so
 * the store stayed "unreachable" for that worker (every operation failed after server selection's 5 s
 * with the same "connection 20 ... closed") and every partition it held stopped. Here the monitor is
 * stopped by hand during a partition (the driver's internal `monitor.close()`, the nearest way to put it
 * in that state), and the connection must serve again once the store is back.
 */
import { randomBytes } from 'node:crypto';
import { openStore, isStoreUnavailable, type StoreConnection, type Models } from '@chat/store';
import { TcpProxy } from './support/tcp-proxy';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** A store connection through a relay the test can cut, with the monitor settings given (the services' when none). */
function proxiedStore(appName: string, monitor: Record<string, string> = {}) {
  const target = new URL(process.env.TEST_MONGO_URL!);
  const proxy = new TcpProxy(target.hostname, Number(target.port || 27017));
  const s = { proxy, warnings: [] as string[], db: undefined as unknown as StoreConnection, models: undefined as unknown as Models };
  beforeAll(async () => {
    await proxy.start();
    const url = new URL(target.toString());
    url.hostname = '127.0.0.1';
    url.port = String(proxy.port);
    url.pathname = `/t${randomBytes(4).toString('hex')}`;
    for (const [k, v] of Object.entries(monitor)) url.searchParams.set(k, v);
    ({ db: s.db, models: s.models } = await openStore(
      url.toString(),
      appName,
      { warn: (_o, msg) => s.warnings.push(msg) },
      (_w, _h, check) => check().then(() => undefined),
    ));
  });
  afterAll(async () => {
    await s.db?.dropDatabase().catch(() => undefined);
    await s.db?.close();
    await proxy.stop();
  });
  return s;
}

describe('store connection when the driver stops monitoring the server', () => {
  // a monitor ten times as quick as the services' (10 s period, 10 s check timeout): silence is judged after 2.25 s
  const s = proxiedStore('store-monitor-test', { heartbeatFrequencyMS: '500', connectTimeoutMS: '1000' });
  const { proxy, warnings } = s;

  const ping = () =>
    s.models.Cursor.findById('none')
      .lean()
      .then(
        () => 'ok' as const,
        (err: unknown) => {
          if (!isStoreUnavailable(err)) throw err;
          return 'unavailable' as const;
        },
      );

  it('leaves a healthy connection alone', async () => {
    // heartbeats covering more than twice the silence limit (2.25 s) pass without a warning
    let beats = 0;
    const client = s.db.getClient();
    const beat = () => beats++;
    client.on('serverHeartbeatSucceeded', beat);
    const deadline = Date.now() + 60_000;
    while (beats < 10 && Date.now() < deadline) await sleep(100);
    client.off('serverHeartbeatSucceeded', beat);
    expect(beats).toBeGreaterThanOrEqual(10);
    expect(await ping()).toBe('ok');
    expect(warnings.filter((w) => w.includes('heartbeat'))).toEqual([]);
  }, 90_000);

  it('serves again after the partition although its monitor stopped during it', async () => {
    proxy.cut();
    expect(await ping()).toBe('unavailable');
    const client = s.db.getClient() as unknown as { topology?: { s: { servers: Map<string, { monitor?: { close(): void } }> } } };
    for (const server of client.topology?.s.servers.values() ?? []) server.monitor?.close();
    await sleep(2000);
    proxy.restore();

    const deadline = Date.now() + 30_000;
    let state = await ping();
    while (state !== 'ok' && Date.now() < deadline) {
      await sleep(500);
      state = await ping();
    }
    expect(state).toBe('ok');
    expect(warnings.some((w) => w.includes('no server heartbeat'))).toBe(true);
    // and the models work as before: a write and its read
    await s.models.Cursor.collection.updateOne({ _id: 'x' as never }, { $set: { deliveredSeq: 1 } }, { upsert: true });
    expect(await s.models.Cursor.findById('x').lean()).toMatchObject({ deliveredSeq: 1 });
  }, 60_000);
});

describe('store connection when a server check hangs as the store goes away under load', () => {
  // the services' own monitor settings (10 s period, 10 s check timeout): silence alone is judged after 30 s
  const s = proxiedStore('store-monitor-test-2');
  const { proxy } = s;
  beforeAll(async () => {
    await s.models.Message.collection.insertMany(
      Array.from({ length: 2000 }, (_, i) => ({
        roomId: 'r',
        seq: i + 1,
        senderId: 's',
        receiverId: 'r',
        content: 'x'.repeat(150),
        createdAt: new Date(),
      })),
    );
  }, 60_000);

  it('serves again within seconds of the store coming back, not after the monitor’s silence limit', async () => {
    // 30 reads of the whole collection in flight when the relay drops every connection: the driver's
    // polling check that starts at that moment could hang for good (2 of 3 tries without the watch's probe)
    let stop = false;
    const load = Promise.all(
      Array.from({ length: 30 }, async () => {
        while (!stop) {
          await s.models.Message.collection
            .find({ roomId: 'r' })
            .toArray()
            .catch(() => undefined);
          await sleep(20);
        }
      }),
    );
    await sleep(3000);
    proxy.cut();
    await sleep(10_000);
    proxy.restore();
    const back = Date.now();
    let served: number | null = null;
    while (served === null && Date.now() - back < 60_000) {
      const ok = await s.models.Cursor.findById('none')
        .lean()
        .then(
          () => true,
          (err: unknown) => {
            if (!isStoreUnavailable(err)) throw err;
            return false;
          },
        );
      if (ok) served = Date.now() - back;
      else await sleep(200);
    }
    stop = true;
    await load;
    // brought back by the driver itself or by the probe of a stuck check, never by waiting out the
    // monitor's silence limit (30 s after the last heartbeat)
    expect(served).not.toBeNull();
    expect(s.warnings.filter((w) => w.includes('no server heartbeat'))).toEqual([]);
  }, 120_000);
});
