import { mkdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { Client } from 'pg';
import { ensureFerretDB, FERRETDB_VERSION } from './ferretdb-build';
import { spawnManaged, type ManagedProcess } from './process';
import { waitForPort } from './ports';

export const REPO_ROOT = resolve(__dirname, '..', '..', '..');
export const FERRETDB_BIN = join(REPO_ROOT, 'tools', 'ferretdb', 'bin', 'ferretdb');

export type FerretBackend = { kind: 'postgresql'; url: string } | { kind: 'sqlite'; dir: string };

/** The URL with its password replaced by *** (for messages). */
export function redactUrl(url: string): string {
  return url.replace(/\/\/([^/@:]*):[^/@]*@/, '//$1:***@');
}

/**
 * Null when PostgreSQL at `url` accepts a connection (to its `postgres` database) within `timeoutMs`,
 * otherwise why not.
 */
export async function postgresRefusal(url: string, timeoutMs = 3000): Promise<string | null> {
  const admin = new URL(url);
  admin.pathname = '/postgres';
  const client = new Client({ connectionString: admin.toString(), connectionTimeoutMillis: timeoutMs });
  client.on('error', () => undefined);
  try {
    await client.connect();
    await client.query('select 1');
    return null;
  } catch (err) {
    return (err as Error).message || String(err);
  } finally {
    await client.end().catch(() => undefined);
  }
}

/**
 * Creates the PostgreSQL database FerretDB will use, if it does not exist yet. `urlEnv` names the variable
 * that sets the URL, for the message when PostgreSQL does not answer.
 */
export async function ensurePostgresDatabase(url: string, urlEnv?: string): Promise<void> {
  const u = new URL(url);
  const dbName = u.pathname.replace(/^\//, '');
  if (!/^[a-z_][a-z0-9_]*$/.test(dbName)) throw new Error(`unsupported database name ${dbName}`);
  const admin = new URL(url);
  admin.pathname = '/postgres';
  const client = new Client({ connectionString: admin.toString(), connectionTimeoutMillis: 10_000 });
  try {
    await client.connect();
  } catch (err) {
    throw new Error(
      `PostgreSQL does not accept a connection at ${redactUrl(admin.toString())} (${(err as Error).message}); FerretDB runs on it here.\n` +
        `  Start it (Debian/Ubuntu: sudo apt-get install -y postgresql && sudo pg_ctlcluster $(ls /etc/postgresql | tail -1) main start), ` +
        `let the postgres user connect from 127.0.0.1 (\`trust\` for host 127.0.0.1/32 in pg_hba.conf), ` +
        `or set ${urlEnv ?? 'the PostgreSQL URL'} to a database URL with credentials.`,
      { cause: err },
    );
  }
  try {
    const { rowCount } = await client.query('select 1 from pg_database where datname = $1', [dbName]);
    if (!rowCount) await client.query(`create database ${dbName}`);
    // MongoDB's default write concern acknowledges a write before its journal is flushed (every 100 ms);
    // this makes the stand-in behave alike instead of waiting for an fsync on every write.
    await client.query(`alter database ${dbName} set synchronous_commit = off`);
    // see LOOKUP_INDEXES_SQL: a plan made for the statement's real key and value, so those indexes can serve it
    await client.query(
      lookupIndexes ? `alter database ${dbName} set plan_cache_mode = force_custom_plan` : `alter database ${dbName} reset plan_cache_mode`,
    );
    // The planner has no statistics on FerretDB's `_jsonb -> 'field'` expressions, so it guesses that a
    // lookup matches a fixed share of the table: as a table grows, a lookup of 50 rows crosses the JIT and
    // parallel-query thresholds and costs 100-300 ms of compiling and worker start-up instead of 1 ms (a
    // room's messages at 1,000,000 stored). Short lookups are all this database runs.
    await client.query(`alter database ${dbName} set jit = off`);
    await client.query(`alter database ${dbName} set max_parallel_workers_per_gather = 0`);
  } finally {
    await client.end();
  }
  // the event trigger lives in the database itself, so it is installed through a connection to it
  const db = new Client({ connectionString: url });
  await db.connect();
  try {
    await db.query(lookupIndexes ? LOOKUP_INDEXES_SQL : 'drop event trigger if exists chat_ferretdb_lookup_indexes');
  } finally {
    await db.end();
  }
}

/** CHAT_FERRETDB_LOOKUP_INDEXES=0 leaves FerretDB's PostgreSQL as FerretDB sets it up (for comparisons). */
const lookupIndexes = process.env.CHAT_FERRETDB_LOOKUP_INDEXES !== '0';

/**
 * FerretDB v1 turns a MongoDB equality filter into `(_jsonb -> 'field') @> value`, which none of the btree
 * indexes it builds for the collection's MongoDB indexes can serve: every find, update and delete by _id or
 * roomId scanned the whole table, and got slower as the table grew (a findById 10 ms at 50,000 messages;
 * with the fault suite's 100,000 messages every persistence batch and catch-up was slower than the last). This
 * gives PostgreSQL what those filters need: for the leading field of every index FerretDB creates, a GIN
 * (jsonb_path_ops) index on the same expression, added by an event trigger as FerretDB creates its own
 * (and once for indexes that already exist). FerretDB sends the field name as a statement parameter, so
 * the database also plans each statement for its values (plan_cache_mode, above), or the generic plan
 * would never pick the index. Only the stand-in store is tuned; real MongoDB serves these from its own
 * indexes. Measured on 50,000 documents: findById 10.5 ms -> 1.3 ms, updateOne by _id about the same.
 * The GIN indexes are made without a pending list (fastupdate off): with it, every lookup also read the
 * list of entries not yet merged, up to 4 MB, and a findById at 100,000 messages took 7.5 ms instead of 0.03.
 *
 * FerretDB's non-unique btree indexes are then replaced by empty placeholders of the same name (a partial
 * index `WHERE false`, so FerretDB can still drop them): FerretDB v1 never reads through them (its filters are
 * `@>`, its updates and deletes go by `_jsonb -> '_id'` equality, which the unique _id index serves), and on
 * messages they took more room than the documents' indexes that are used (3 of the 5 MB of index per 10,000
 * messages) and a write each per insert. Unique ones stay: they enforce uniqueness.
 *
 * The one large unique index, messages' `(roomId, seq)`, is rebuilt under its name on the text of roomId and
 * the number of seq instead of their jsonb values: the same uniqueness (FerretDB reports any unique violation
 * as a duplicate key), in about two thirds of the room (105 -> 67 bytes a message on a 20,000-message soak).
 */
export const LOOKUP_INDEXES_SQL = `
create or replace function chat_ferretdb_lookup_index(idx oid) returns void language plpgsql as $fn$
declare
  tbl regclass;
  uniq boolean;
  partial boolean;
  field text;
  name text;
  own text;
begin
  select indrelid::regclass, indisunique, indpred is not null into tbl, uniq, partial from pg_index where indexrelid = idx;
  if tbl is null or partial then return; end if;
  if (select a.amname from pg_class c join pg_am a on a.oid = c.relam where c.oid = idx) <> 'btree' then return; end if;
  if not exists (select 1 from pg_attribute where attrelid = tbl and attname = '_jsonb' and not attisdropped) then return; end if;
  field := substring(pg_get_indexdef(idx, 1, true) from '^\\(?_jsonb -> ''([A-Za-z0-9_]+)''::text\\)?$');
  if field is null then return; end if;
  name := left((select relname from pg_class where oid = tbl), 40) || '_' || left(lower(field), 16) || '_lookup';
  execute format('create index if not exists %I on %s using gin ((_jsonb -> %L) jsonb_path_ops) with (fastupdate = off)', name, tbl, field);
  own := (select relname from pg_class where oid = idx);
  if uniq and pg_get_indexdef(idx) ~ '\\(\\(_jsonb -> ''roomId''::text\\)\\), \\(\\(_jsonb -> ''seq''::text\\)\\)\\)$' then
    execute format('drop index %s', idx::regclass);
    execute format('create unique index %I on %s ((_jsonb ->> %L) collate "C", ((_jsonb -> %L)::numeric))', own, tbl, 'roomId', 'seq');
  end if;
  if not uniq then
    execute format('drop index %s', idx::regclass);
    execute format('create index %I on %s (_jsonb) where false', own, tbl);
  end if;
end
$fn$;

create or replace function chat_ferretdb_lookup_indexes() returns event_trigger language plpgsql as $fn$
declare
  r record;
begin
  for r in select objid from pg_event_trigger_ddl_commands() where command_tag = 'CREATE INDEX' loop
    perform chat_ferretdb_lookup_index(r.objid);
  end loop;
end
$fn$;

drop event trigger if exists chat_ferretdb_lookup_indexes;
create event trigger chat_ferretdb_lookup_indexes on ddl_command_end when tag in ('CREATE INDEX')
  execute function chat_ferretdb_lookup_indexes();

select chat_ferretdb_lookup_index(i.indexrelid)
  from pg_index i join pg_class t on t.oid = i.indrelid join pg_namespace n on n.oid = t.relnamespace
  where n.nspname not in ('pg_catalog', 'information_schema', 'pg_toast');

-- lookup indexes made while they still had a pending list: without it now, its entries merged
do $do$
declare
  r record;
begin
  for r in select c.oid::regclass as idx from pg_class c join pg_am a on a.oid = c.relam
      where a.amname = 'gin' and c.relname like '%\\_lookup' and not coalesce(c.reloptions, '{}') @> array['fastupdate=off'] loop
    execute format('alter index %s set (fastupdate = off)', r.idx);
    perform gin_clean_pending_list(r.idx);
  end loop;
end
$do$;
`;

/**
 * The URL FerretDB gets: on loopback without TLS unless the URL asks for it. pgx's default (sslmode=prefer)
 * negotiates TLS with a server that has it on (Debian's PostgreSQL does), and FerretDB then spent a good
 * part of its CPU encrypting every row it read and wrote to a server on the same machine.
 */
export function ferretPostgresUrl(url: string): string {
  const u = new URL(url);
  if (!u.searchParams.has('sslmode') && ['127.0.0.1', 'localhost', '[::1]'].includes(u.hostname)) u.searchParams.set('sslmode', 'disable');
  return u.toString();
}

/**
 * The SQLite URL FerretDB gets for a directory. FerretDB puts each database in WAL mode and leaves the
 * checkpoints to SQLite's automatic ones, which cannot restart the WAL while any reader holds a snapshot:
 * under steady load the WAL file only grew (749 MB next to an 84 MB database). `journal_size_limit` truncates
 * it back to 64 MB whenever a checkpoint does restart it (see SqliteUpkeep for the checkpoints that make sure
 * one does); `synchronous(normal)`, the setting SQLite recommends with WAL, stops syncing every commit.
 */
export function ferretSqliteUrl(dir: string): string {
  const pragmas = ['busy_timeout(10000)', 'journal_mode(wal)', 'synchronous(normal)', `journal_size_limit(${64 * 1024 * 1024})`];
  return `file:${dir.replace(/\/?$/, '/')}?${pragmas.map((p) => `_pragma=${encodeURIComponent(p)}`).join('&')}`;
}

/** Starts FerretDB v1.24.2 on 127.0.0.1:port, telemetry off, building it first if it is not built yet. */
export async function startFerretDB(o: {
  port: number;
  backend: FerretBackend;
  stateDir: string;
  logDir?: string;
  onLine?: (n: string, l: string) => void;
  /** Progress of a first-use build (default: printed to stdout). */
  onProgress?: (line: string) => void;
  /** host:port for FerretDB's debug handler (/debug/pprof/goroutine?debug=2 shows what every request waits on); off by default. */
  debugAddr?: string;
  /** FerretDB's log level and format (default warn, console); debug in json logs every SQL statement with its arguments. */
  logLevel?: 'debug' | 'info' | 'warn' | 'error';
  logFormat?: 'console' | 'text' | 'json';
  /** The variable that sets the PostgreSQL URL, named when PostgreSQL does not answer. */
  postgresUrlEnv?: string;
}): Promise<ManagedProcess> {
  const bin = await ensureFerretDB(o.onProgress);
  mkdirSync(o.stateDir, { recursive: true });
  const args = [
    `--listen-addr=127.0.0.1:${o.port}`,
    `--state-dir=${o.stateDir}`,
    '--telemetry=disable',
    `--debug-addr=${o.debugAddr ?? '-'}`,
    `--log-level=${o.logLevel ?? 'warn'}`,
    `--log-format=${o.logFormat ?? 'console'}`,
  ];
  if (o.backend.kind === 'postgresql') {
    await ensurePostgresDatabase(o.backend.url, o.postgresUrlEnv);
    args.push('--handler=postgresql', `--postgresql-url=${ferretPostgresUrl(o.backend.url)}`);
  } else {
    mkdirSync(o.backend.dir, { recursive: true });
    args.push('--handler=sqlite', `--sqlite-url=${ferretSqliteUrl(o.backend.dir)}`);
  }
  const p = spawnManaged({
    name: 'ferretdb',
    command: bin,
    args,
    env: { ...process.env },
    readyLine: /a^/, // readiness is the port, below
    logDir: o.logDir,
    onLine: o.onLine,
  });
  await Promise.race([
    waitForPort('127.0.0.1', o.port, 30000, 'FerretDB'),
    p.exited.then((code) => {
      throw new Error(
        `FerretDB ${FERRETDB_VERSION} exited with code ${code} while starting (its output is above${o.logDir ? ` and in ${o.logDir}` : ''})`,
      );
    }),
  ]);
  return p;
}
