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
  } finally {
    await client.end();
  }
}

/** Starts FerretDB v1.24.2 (built by tools/ferretdb/build.sh) on 127.0.0.1:port, telemetry off. */
export async function startFerretDB(o: { port: number; backend: FerretBackend; stateDir: string; logDir?: string; onLine?: (n: string, l: string) => void }): Promise<ManagedProcess> {
  if (!existsSync(FERRETDB_BIN)) throw new Error(`FerretDB is not built: run tools/ferretdb/build.sh (needs Go)`);
  mkdirSync(o.stateDir, { recursive: true });
  const args = [
    `--listen-addr=127.0.0.1:${o.port}`,
    `--state-dir=${o.stateDir}`,
    '--telemetry=disable',
    '--debug-addr=-',
    '--log-level=warn',
  ];
  if (o.backend.kind === 'postgresql') {
    await ensurePostgresDatabase(o.backend.url);
    args.push('--handler=postgresql', `--postgresql-url=${o.backend.url}`);
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
