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
  const models = createModels(db);
  await ensureIndexes(models);
  return { db, models };
}

/** Readiness: the store answers a ping now (the driver's own timeouts bound it; Readiness adds a deadline). */
export async function pingStore(db: StoreConnection): Promise<void> {
  const admin = db.db?.admin();
  if (!admin) throw new Error('not connected');
  await admin.command({ ping: 1 });
}
