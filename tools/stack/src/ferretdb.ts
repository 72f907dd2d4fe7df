import { existsSync, mkdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { Client } from 'pg';
import { spawnManaged, type ManagedProcess } from './process';
import { waitForPort } from './ports';

export const REPO_ROOT = resolve(__dirname, '..', '..', '..');
export const FERRETDB_BIN = join(REPO_ROOT, 'tools', 'ferretdb', 'bin', 'ferretdb');

export type FerretBackend = { kind: 'postgresql'; url: string } | { kind: 'sqlite'; dir: string };

/** Creates the PostgreSQL database FerretDB will use, if it does not exist yet. */
export async function ensurePostgresDatabase(url: string): Promise<void> {
  const u = new URL(url);
  const dbName = u.pathname.replace(/^\//, '');
  if (!/^[a-z_][a-z0-9_]*$/.test(dbName)) throw new Error(`unsupported database name ${dbName}`);
  const admin = new URL(url);
  admin.pathname = '/postgres';
  const client = new Client({ connectionString: admin.toString() });
  await client.connect();
  try {
    const { rowCount } = await client.query('select 1 from pg_database where datname = $1', [dbName]);
    if (!rowCount) await client.query(`create database ${dbName}`);
    // MongoDB's default write concern acknowledges a write before its journal is flushed (every 100 ms);
    // this makes the stand-in behave alike instead of waiting for an fsync on every write.
    await client.query(`alter database ${dbName} set synchronous_commit = off`);
    // see LOOKUP_INDEXES_SQL: a plan made for the statement's real key and value, so those indexes can serve it
    await client.query(lookupIndexes ? `alter database ${dbName} set plan_cache_mode = force_custom_plan` : `alter database ${dbName} reset plan_cache_mode`);
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
 */
export const LOOKUP_INDEXES_SQL = `
create or replace function chat_ferretdb_lookup_index(idx oid) returns void language plpgsql as $fn$
declare
  tbl regclass;
  field text;
  name text;
begin
  select indrelid::regclass into tbl from pg_index where indexrelid = idx;
  if tbl is null then return; end if;
  if (select a.amname from pg_class c join pg_am a on a.oid = c.relam where c.oid = idx) <> 'btree' then return; end if;
  if not exists (select 1 from pg_attribute where attrelid = tbl and attname = '_jsonb' and not attisdropped) then return; end if;
  field := substring(pg_get_indexdef(idx, 1, true) from '^\\(?_jsonb -> ''([A-Za-z0-9_]+)''::text\\)?$');
  if field is null then return; end if;
  name := left((select relname from pg_class where oid = tbl), 40) || '_' || left(lower(field), 16) || '_lookup';
  execute format('create index if not exists %I on %s using gin ((_jsonb -> %L) jsonb_path_ops)', name, tbl, field);
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

/** Starts FerretDB v1.24.2 (built by tools/ferretdb/build.sh) on 127.0.0.1:port, telemetry off. */
export async function startFerretDB(o: {
  port: number;
  backend: FerretBackend;
  stateDir: string;
  logDir?: string;
  onLine?: (n: string, l: string) => void;
  /** host:port for FerretDB's debug handler (/debug/pprof/goroutine?debug=2 shows what every request waits on); off by default. */
  debugAddr?: string;
}): Promise<ManagedProcess> {
  if (!existsSync(FERRETDB_BIN)) throw new Error(`FerretDB is not built: run tools/ferretdb/build.sh (needs Go)`);
  mkdirSync(o.stateDir, { recursive: true });
  const args = [
    `--listen-addr=127.0.0.1:${o.port}`,
    `--state-dir=${o.stateDir}`,
    '--telemetry=disable',
    `--debug-addr=${o.debugAddr ?? '-'}`,
    '--log-level=warn',
  ];
  if (o.backend.kind === 'postgresql') {
    await ensurePostgresDatabase(o.backend.url);
    args.push('--handler=postgresql', `--postgresql-url=${ferretPostgresUrl(o.backend.url)}`);
  } else {
    mkdirSync(o.backend.dir, { recursive: true });
    args.push('--handler=sqlite', `--sqlite-url=file:${o.backend.dir.replace(/\/?$/, '/')}`);
  }
  const p = spawnManaged({
    name: 'ferretdb',
    command: FERRETDB_BIN,
    args,
    env: { ...process.env },
    readyLine: /a^/, // readiness is the port, below
    logDir: o.logDir,
    onLine: o.onLine,
  });
  await Promise.race([
    waitForPort('127.0.0.1', o.port, 30000, 'FerretDB'),
    p.exited.then((code) => {
      throw new Error(`FerretDB exited with code ${code} while starting`);
    }),
  ]);
  return p;
}
