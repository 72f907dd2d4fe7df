import { existsSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { Client } from 'pg';
import { postgresRefusal, redactUrl, startFerretDB } from './ferretdb';
import { stopProcess, type ManagedProcess } from './process';
import { SqliteUpkeep } from './sqlite-upkeep';

export type StoreBackend = 'postgresql' | 'sqlite';

/** The PostgreSQL server npm start tries first: local, the postgres user, no password (as `npm test` uses it). */
export const DEFAULT_POSTGRES_SERVER = 'postgres://postgres@127.0.0.1:5432';

export interface DevStoreOptions {
  /** Where FerretDB listens. */
  port: number;
  /** The PostgreSQL database FerretDB keeps its data in (a URL with the database in its path). */
  postgresUrl: string;
  /** The directory FerretDB keeps its SQLite files in, when it runs on SQLite. */
  sqliteDir: string;
  stateDir: string;
  /** 'auto': PostgreSQL when it answers at postgresUrl, otherwise SQLite with a warning. */
  backend: 'auto' | StoreBackend;
  /** The variable that sets postgresUrl, named in messages. */
  postgresUrlEnv: string;
  /** What the store is doing, one line at a time. */
  say: (line: string, level?: 'info' | 'warn') => void;
  onLine?: (name: string, line: string) => void;
  logDir?: string;
}

export interface DevStore {
  backend: StoreBackend;
  ferret: ManagedProcess;
  /** Where the data is, for people: a PostgreSQL database or a directory. */
  location: string;
  /** Bytes the store takes on disk: the PostgreSQL database's size, or the SQLite files with their WAL. */
  diskBytes(): Promise<number>;
  stop(): Promise<void>;
}

/** Why SQLite is only the last resort (also in docs/ferretdb.md). */
export const SQLITE_WARNING =
  'FerretDB v1 on SQLite pushes no filter but a lone _id down to SQLite, so every lookup by room or user reads and decodes the whole collection: ' +
  'fine for a first look, slower with every message stored.';

export function sqliteBytes(dir: string): number {
  if (!existsSync(dir)) return 0;
  return readdirSync(dir)
    .filter((f) => /\.sqlite(-wal|-shm)?$/.test(f))
    .reduce((n, f) => n + statSync(join(dir, f)).size, 0);
}

export async function postgresDatabaseBytes(url: string): Promise<number> {
  const u = new URL(url);
  const db = u.pathname.replace(/^\//, '');
  const c = new Client({ connectionString: url });
  await c.connect();
  try {
    return Number((await c.query<{ n: string }>('select pg_database_size($1) as n', [db])).rows[0].n);
  } finally {
    await c.end();
  }
}

/**
 * Starts FerretDB for npm start (and the soak bench, which measures what npm start runs): on the local
 * PostgreSQL when it answers, with the lookup indexes the tests use (LOOKUP_INDEXES_SQL); otherwise on SQLite
 * under .data/, with a warning that says why that store slows down as it fills.
 */
export async function startDevStore(o: DevStoreOptions): Promise<DevStore> {
  let backend: StoreBackend = o.backend === 'auto' ? 'postgresql' : o.backend;
  const pg = redactUrl(o.postgresUrl);
  if (o.backend !== 'sqlite') {
    o.say(`checking PostgreSQL at ${pg}`);
    const refusal = await postgresRefusal(o.postgresUrl);
    if (refusal && o.backend === 'postgresql') {
      throw new Error(
        `PostgreSQL does not answer at ${pg} (${refusal}). Start it, set ${o.postgresUrlEnv}, or leave FERRETDB_BACKEND unset to fall back to SQLite.`,
      );
    }
    if (refusal) {
      backend = 'sqlite';
      o.say(`PostgreSQL does not answer at ${pg} (${refusal}): falling back to SQLite in ${o.sqliteDir}.`, 'warn');
      o.say(`  ${SQLITE_WARNING}`, 'warn');
      o.say(
        `  For a store that stays fast: start PostgreSQL (sudo apt-get install -y postgresql) or set ${o.postgresUrlEnv}; or set MONGO_URL to a MongoDB.`,
        'warn',
      );
    }
  } else {
    o.say(`FerretDB on SQLite, as asked: ${SQLITE_WARNING}`, 'warn');
  }
  // FerretDB's warnings are about its clients' connections (a deadline on a closed one, endSessions it lacks): noise here
  const common = {
    port: o.port,
    stateDir: o.stateDir,
    onLine: o.onLine,
    logDir: o.logDir,
    logLevel: 'error' as const,
    onProgress: (l: string) => o.say(l),
    postgresUrlEnv: o.postgresUrlEnv,
  };
  if (backend === 'postgresql') {
    const db = new URL(o.postgresUrl).pathname.replace(/^\//, '');
    o.say(`starting FerretDB on 127.0.0.1:${o.port}, its data in PostgreSQL database ${db} at ${pg}`);
    const ferret = await startFerretDB({ ...common, backend: { kind: 'postgresql', url: o.postgresUrl } });
    return {
      backend,
      ferret,
      location: `PostgreSQL database ${db} at ${pg}`,
      diskBytes: () => postgresDatabaseBytes(o.postgresUrl),
      stop: async () => {
        await stopProcess(ferret);
      },
    };
  }
  o.say(`starting FerretDB on 127.0.0.1:${o.port}, its data in SQLite files in ${o.sqliteDir}`);
  const ferret = await startFerretDB({ ...common, backend: { kind: 'sqlite', dir: o.sqliteDir } });
  const upkeep = new SqliteUpkeep(o.sqliteDir, (l) => o.say(l, 'warn'));
  upkeep.start();
  return {
    backend,
    ferret,
    location: `SQLite files in ${o.sqliteDir}`,
    diskBytes: async () => sqliteBytes(o.sqliteDir),
    stop: async () => {
      upkeep.stop();
      await stopProcess(ferret);
    },
  };
}

/** Drops a PostgreSQL database (with any connection to it), for a store that must start empty. */
export async function dropPostgresDatabase(url: string): Promise<void> {
  const db = new URL(url).pathname.replace(/^\//, '');
  if (!/^[a-z_][a-z0-9_]*$/.test(db)) throw new Error(`unsupported database name ${db}`);
  const admin = new URL(url);
  admin.pathname = '/postgres';
  const c = new Client({ connectionString: admin.toString() });
  await c.connect();
  try {
    await c.query(`drop database if exists ${db} with (force)`);
  } finally {
    await c.end();
  }
}

/**
 * Bytes of the tables (with their indexes and TOAST) in one of FerretDB's schemas (a MongoDB database)
 * whose names start with `prefix` (FerretDB names a collection's table after it: messages_<hash>).
 */
export async function postgresTablesBytes(url: string, schema: string, prefix: string): Promise<number> {
  const c = new Client({ connectionString: url });
  await c.connect();
  try {
    const r = await c.query<{ n: string }>(
      `select coalesce(sum(pg_total_relation_size(format('%I.%I', schemaname, tablename))), 0) as n from pg_tables where schemaname = $1 and tablename like $2`,
      [schema, `${prefix}%`],
    );
    return Number(r.rows[0].n);
  } finally {
    await c.end();
  }
}
