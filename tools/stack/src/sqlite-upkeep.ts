import { execFile } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import { delimiter, join } from 'node:path';

function findSqlite3(): string | null {
  for (const dir of (process.env.PATH ?? '').split(delimiter).filter(Boolean)) {
    const p = join(dir, 'sqlite3');
    if (existsSync(p)) return p;
  }
  return null;
}

function run(bin: string, file: string, sql: string): Promise<string> {
  return new Promise((resolve, reject) =>
    execFile(bin, ['-batch', '-noheader', '-cmd', '.timeout 1000', file, sql], { timeout: 60_000 }, (err, stdout, stderr) =>
      err ? reject(new Error(String(stderr || err.message).trim())) : resolve(stdout),
    ),
  );
}

/** The index a FerretDB v1 SQLite table needs for its one pushed-down filter, a lone `_id` equality. */
export function idLookupIndexSql(table: string): string {
  // FerretDB filters with `_ferretdb_sjson->'$._id' = ?` but indexes `_ferretdb_sjson->"_id"`: SQLite
  // matches an expression index only to the same expression, so its own _id index never serves the filter
  return `CREATE INDEX IF NOT EXISTS "${table}__chat_id_lookup" ON "${table}" (_ferretdb_sjson->'$._id')`;
}

/**
 * What npm start does for FerretDB's SQLite files, through the sqlite3 command when it is installed (Node 20
 * has no SQLite of its own): every half minute, give each collection's table the index its `_id` lookups
 * can use (idLookupIndexSql) and checkpoint the WAL with TRUNCATE, waiting at most a second for readers.
 * SQLite's own checkpoints never restart a WAL that some reader always holds, and it grew to 749 MB next to
 * an 84 MB database. Lookups by room or user stay full scans: FerretDB sends them without a WHERE clause.
 */
export class SqliteUpkeep {
  private timer: NodeJS.Timeout | null = null;
  private running = false;
  private readonly bin = findSqlite3();

  constructor(
    private readonly dir: string,
    private readonly say: (line: string) => void,
    private readonly everyMs = 30_000,
  ) {}

  start(): void {
    if (!this.bin) {
      this.say(
        '  sqlite3 is not installed, so lookups by _id stay full scans and the WAL is left to SQLite (sudo apt-get install -y sqlite3 adds both).',
      );
      return;
    }
    const tick = () => {
      // a round that throws (the data directory removed under it) is simply tried again next time
      void this.once()
        .catch(() => undefined)
        .finally(() => {
          if (this.timer) this.timer = setTimeout(tick, this.everyMs).unref();
        });
    };
    this.timer = setTimeout(tick, 5000).unref();
  }

  stop(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
  }

  /** One round over every database file. */
  async once(): Promise<void> {
    if (!this.bin || this.running || !existsSync(this.dir)) return;
    this.running = true;
    try {
      for (const f of readdirSync(this.dir).filter((n) => n.endsWith('.sqlite'))) {
        const file = join(this.dir, f);
        try {
          const tables = (await run(this.bin, file, 'SELECT table_name FROM "_ferretdb_collections"'))
            .split('\n')
            .filter((t) => /^[a-z0-9_]+$/i.test(t));
          if (tables.length) await run(this.bin, file, tables.map(idLookupIndexSql).join(';\n'));
          await run(this.bin, file, 'PRAGMA wal_checkpoint(TRUNCATE)');
        } catch {
          // busy, or not a FerretDB database yet: the next round tries again
        }
      }
    } finally {
      this.running = false;
    }
  }
}
