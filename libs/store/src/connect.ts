import mongoose, { type Connection } from 'mongoose';
import { createModels, ensureIndexes, type Models } from './models';

// Filters built from request data can never carry operators; the store's own operators are marked trusted().
mongoose.set('sanitizeFilter', true);
mongoose.set('strictQuery', true);

export type StoreConnection = Connection;

/** Opens a connection to MongoDB (or a wire-compatible store). Multi-document transactions are never used. */
export function connectStore(url: string, appName: string): StoreConnection {
  return mongoose.createConnection(url, storeOptions(appName));
}

function storeOptions(appName: string): mongoose.ConnectOptions {
  return {
    appName,
    serverSelectionTimeoutMS: 5000,
    // also the server monitor's check timeout: a healthy monitor reports within this plus its 10 s period
    connectTimeoutMS: 10_000,
    maxPoolSize: 20,
    autoIndex: false,
    autoCreate: false, // collections come with their indexes (ensureIndexes); no createCollection races at start
  };
}

/** The URL with its password replaced by ***, for logs. */
function redactUrl(url: string): string {
  return url.replace(/\/\/([^/@:]*):[^/@]*@/, '//$1:***@');
}

/** A store call its caller stopped waiting for (the driver can leave one hanging after a cut connection). */
export class StoreTimeoutError extends Error {
  override name = 'StoreTimeoutError';
}

/** The call's answer, or a StoreTimeoutError once `ms` have passed (the call itself goes on). */
export function withStoreDeadline<T>(call: Promise<T>, ms: number, what: string): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const timer = setTimeout(() => reject(new StoreTimeoutError(`${what}: the store did not answer within ${ms} ms`)), ms);
    call.then(
      (v) => (clearTimeout(timer), resolve(v)),
      (err: unknown) => (clearTimeout(timer), reject(err)),
    );
  });
}

const TRANSIENT_NAMES = new Set([
  'StoreTimeoutError',
  'MongoNetworkError',
  'MongoNetworkTimeoutError',
  'MongoServerSelectionError',
  'MongoNotConnectedError',
  'MongoTopologyClosedError',
  'MongooseServerSelectionError',
  'PoolClosedError',
  'PoolClearedError',
  'MongoPoolClearedError',
  'MongoPoolClosedError',
]);

const NETWORK_MESSAGE = /^connection (\S+ )?to \S+ closed|ECONNREFUSED|ECONNRESET|EPIPE|Server selection timed out/;

/** True for errors that mean "the store is unreachable right now" rather than "this write is wrong". */
export function isStoreUnavailable(err: unknown): boolean {
  const e = err as { name?: string; errorLabels?: string[]; errorLabelSet?: Set<string> } | null;
  if (!e) return false;
  // every network failure of the driver, including a pool cleared after one (MongoPoolClearedError, which
  // the name list missed: a batch then counted as bad, was requeued and could reach the delivery limit)
  if (err instanceof mongoose.mongo.MongoNetworkError) return true;
  if (e.name && TRANSIENT_NAMES.has(e.name)) return true;
  // insertMany/bulkWrite wrap a lost connection in MongoBulkWriteError with no write errors and no labels
  const bulk = err as { writeErrors?: unknown[]; message?: string };
  if (e.name === 'MongoBulkWriteError' && (!bulk.writeErrors || bulk.writeErrors.length === 0)) return true;
  if (typeof bulk.message === 'string' && NETWORK_MESSAGE.test(bulk.message)) return true;
  const labels = e.errorLabelSet ? [...e.errorLabelSet] : (e.errorLabels ?? []);
  return labels.includes('RetryableWriteError') || labels.includes('ResetPool') || labels.includes('PoolRequstedRetry');
}

/**
 * Connects, waits (through the caller's `wait`, which explains what is missing) until the store answers,
 * and makes sure every index exists: what each service's main.ts needs before it takes work.
 */
export async function openStore(
  url: string,
  appName: string,
  log: { warn: (o: object, msg: string) => void },
  wait: (what: string, hint: string, check: () => Promise<unknown>) => Promise<void>,
): Promise<{ db: StoreConnection; models: Models }> {
  const db = connectStore(url, appName);
  db.on('error', (err: Error) => log.warn({ err: err.message }, 'store connection error'));
  // the driver gives up on a first connection that failed: each later check opens it again, so a store that
  // comes up late is still found; the hint names the URL tried, so a wrong MONGO_URL shows at the first failure
  let failed = false;
  await wait(`MongoDB at ${redactUrl(url)}`, 'Start it (npm start runs FerretDB) or set MONGO_URL.', async () => {
    if (failed && db.readyState === mongoose.ConnectionStates.disconnected) await db.openUri(url, storeOptions(appName));
    try {
      await db.asPromise();
    } catch (err) {
      failed = true;
      throw err;
    }
  });
  watchServerMonitor(db, log, url);
  const models = createModels(db);
  await ensureIndexes(models);
  return { db, models };
}

/** Checks that ended, either way: a monitor stuck inside a check could still report new starts. */
const HEARTBEAT_EVENTS = ['serverHeartbeatSucceeded', 'serverHeartbeatFailed'] as const;

/** How long a polling check may run before the watch asks the store itself, on a connection of its own. */
const CHECK_PROBE_AFTER_MS = 5000;

/**
 * Reconnects the driver's client when its server monitor is stuck. The monitor is what marks the store
 * reachable again after an outage, and it can get stuck two ways, both seen in the fault suite:
 * - silent: no heartbeat ends for longer than a healthy monitor allows (its 10 s period plus one check's
 *   timeout). Once a persistence worker's monitor stopped reporting during the 10 s store partition and
 *   never resumed: the store was back, but every operation of that worker waited out server selection
 *   and failed with the same "connection 20 ... closed" for minutes, holding every partition.
 * - inside a check: a polling check (FerretDB does not stream) that started as the connection dropped under
 *   load never ends, and no timeout fires on the destroyed socket (reproduced with 30 reads in flight and
 *   the store cut off through a relay: the check that started at the cut was still running a minute after
 *   the store was back). An edge's catch-ups then failed every 5 s for 14 s after the store returned. A
 *   check that has run for `CHECK_PROBE_AFTER_MS` (or its own timeout, if shorter) is judged by pinging the
 *   store on a fresh connection: if the store answers while the check still runs, the check is stuck.
 * Closing and connecting the client again starts a new monitor; operations in flight fail as transient (the
 * topology closed) and are retried. Stops when the connection is closed.
 */
export function watchServerMonitor(db: StoreConnection, log: { warn: (o: object, msg: string) => void }, url?: string): () => void {
  const client = db.getClient();
  // a healthy monitor is never quieter than its period plus one check's timeout (10 s + 10 s here)
  const { heartbeatFrequencyMS = 10_000, connectTimeoutMS = 10_000 } = client.options as {
    heartbeatFrequencyMS?: number;
    connectTimeoutMS?: number;
  };
  const limit = Math.round(1.5 * (heartbeatFrequencyMS + connectTimeoutMS));
  const probeAfter = Math.min(CHECK_PROBE_AFTER_MS, connectTimeoutMS);
  let last = Date.now();
  /** When the polling check now running started (null: none running, or the monitor streams). */
  let checkStarted: number | null = null;
  let busy = false;
  const beat = () => {
    last = Date.now();
    checkStarted = null;
  };
  const started = (ev: { awaited?: boolean }) => {
    // a streaming check (real MongoDB) waits for news by design: only polling checks are timed
    if (!ev.awaited && checkStarted === null) checkStarted = Date.now();
  };
  for (const e of HEARTBEAT_EVENTS) client.on(e, beat);
  client.on('serverHeartbeatStarted', started);
  const reconnect = (why: string, o: object) => {
    log.warn(o, why);
    return client
      .close(true)
      .then(() => client.connect())
      .catch((err: Error) => log.warn({ err: err.message }, 'store: reconnecting the client failed; trying again later'))
      .finally(() => {
        last = Date.now();
        checkStarted = null;
      });
  };
  const storeAnswers = async (): Promise<boolean> => {
    if (!url) return false;
    const probe = new mongoose.mongo.MongoClient(url, {
      serverSelectionTimeoutMS: 2000,
      connectTimeoutMS: 2000,
      socketTimeoutMS: 2000,
      maxPoolSize: 1,
    });
    try {
      await probe.db('admin').command({ ping: 1 });
      return true;
    } catch {
      return false;
    } finally {
      await probe.close(true).catch(() => undefined);
    }
  };
  const timer = setInterval(
    () => {
      if (busy) return;
      const now = Date.now();
      const silent = now - last;
      if (silent >= limit) {
        busy = true;
        void reconnect('store: the driver reported no server heartbeat for too long; reconnecting its client', {
          silentMs: silent,
        }).finally(() => (busy = false));
        return;
      }
      const check = checkStarted;
      if (check === null || now - check < probeAfter) return;
      busy = true;
      void storeAnswers()
        .then((answers) => {
          if (answers && checkStarted === check)
            return reconnect('store: the driver’s server check is stuck while the store answers; reconnecting its client', {
              checkMs: Date.now() - check,
            });
        })
        .finally(() => (busy = false));
    },
    Math.max(100, Math.min(1000, Math.floor(limit / 6))),
  );
  timer.unref();
  const stop = () => {
    clearInterval(timer);
    for (const e of HEARTBEAT_EVENTS) client.off(e, beat);
    client.off('serverHeartbeatStarted', started);
  };
  db.once('close', stop);
  return stop;
}

/** Readiness: the store answers a ping now (the driver's own timeouts bound it; Readiness adds a deadline). */
export async function pingStore(db: StoreConnection): Promise<void> {
  const admin = db.db?.admin();
  if (!admin) throw new Error('not connected');
  await admin.command({ ping: 1 });
}
