import mongoose, { type Connection } from 'mongoose';
import { createModels, ensureIndexes, type Models } from './models';

// Filters built from request data can never carry operators; the store's own operators are marked trusted().
mongoose.set('sanitizeFilter', true);
mongoose.set('strictQuery', true);

export type StoreConnection = Connection;

/** Opens a connection to MongoDB (or a wire-compatible store). Multi-document transactions are never used. */
export function connectStore(url: string, appName: string): StoreConnection {
  return mongoose.createConnection(url, {
    appName,
    serverSelectionTimeoutMS: 5000,
    // also the server monitor's check timeout: a healthy monitor reports within this plus its 10 s period
    connectTimeoutMS: 10_000,
    maxPoolSize: 20,
    autoIndex: false,
    autoCreate: false, // collections come with their indexes (ensureIndexes); no createCollection races at start
  });
}

const TRANSIENT_NAMES = new Set([
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
  await wait('MongoDB', 'Start it (npm start runs FerretDB) or set MONGO_URL.', () => db.asPromise());
  watchServerMonitor(db, log);
  const models = createModels(db);
  await ensureIndexes(models);
  return { db, models };
}

/** Checks that ended, either way: a monitor stuck inside a check could still report new starts. */
const HEARTBEAT_EVENTS = ['serverHeartbeatSucceeded', 'serverHeartbeatFailed'] as const;

/**
 * Reconnects the driver's client when its server monitor has gone silent. The monitor is what marks the
 * store reachable again after an outage; a healthy one finishes a heartbeat (succeeded or failed) at least
 * every 10 s plus `connectTimeoutMS`. Once, in a fault-suite run, a persistence worker's monitor
 * stopped reporting during the 10 s store partition and never resumed: the store was back, but every
 * operation of that worker waited out server selection and failed with the same "connection 20 ...
 * closed" for minutes, holding every partition. Closing and connecting the client again starts a new
 * monitor; operations in flight fail as transient (the topology closed) and are retried. Stops when the
 * connection is closed.
 */
export function watchServerMonitor(db: StoreConnection, log: { warn: (o: object, msg: string) => void }): () => void {
  const client = db.getClient();
  // a healthy monitor is never quieter than its period plus one check's timeout (10 s + 10 s here)
  const { heartbeatFrequencyMS = 10_000, connectTimeoutMS = 10_000 } = client.options as { heartbeatFrequencyMS?: number; connectTimeoutMS?: number };
  const limit = Math.round(1.5 * (heartbeatFrequencyMS + connectTimeoutMS));
  let last = Date.now();
  let busy = false;
  const beat = () => {
    last = Date.now();
  };
  for (const e of HEARTBEAT_EVENTS) client.on(e, beat);
  const timer = setInterval(
    () => {
      const silent = Date.now() - last;
      if (busy || silent < limit) return;
      busy = true;
      log.warn({ silentMs: silent }, 'store: the driver reported no server heartbeat for too long; reconnecting its client');
      client
        .close(true)
        .then(() => client.connect())
        .catch((err: Error) => log.warn({ err: err.message }, 'store: reconnecting the client failed; trying again later'))
        .finally(() => {
          busy = false;
          last = Date.now();
        });
    },
    Math.max(100, Math.floor(limit / 6)),
  );
  timer.unref();
  const stop = () => {
    clearInterval(timer);
    for (const e of HEARTBEAT_EVENTS) client.off(e, beat);
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
