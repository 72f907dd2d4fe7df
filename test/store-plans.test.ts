/**
 * The plans the stand-in store makes for the lookups the services make, on both of FerretDB's backends.
 * Each backend's FerretDB runs with debug logging, which logs every SQL statement with its arguments; the
 * store calls the services make (MessageStore, ConversationStore, CursorStore, BlockStore, ReportStore) run against a filled
 * database, and every statement they caused is explained by the database itself:
 * - PostgreSQL (what npm start, the tests and the bench use when it answers): no statement may scan a table,
 *   except the ones listed in KNOWN_SCANS with the reason.
 * - SQLite (npm start's last resort): FerretDB v1 pushes only a lone `_id` equality down to SQLite; those
 *   statements must use the index npm start adds (SqliteUpkeep), and every other lookup is a full scan: that is
 *   why SQLite is only the last resort (docs/ferretdb.md). A FerretDB that pushed more down would fail here,
 *   so the docs get updated. Also checks that the upkeep's checkpoint empties the WAL.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { Types } from 'mongoose';
import { Client } from 'pg';
import {
  DEFAULT_POSTGRES_SERVER,
  dropPostgresDatabase,
  freePort,
  postgresRefusal,
  REPO_ROOT,
  SqliteUpkeep,
  startFerretDB,
  stopProcess,
  type ManagedProcess,
} from '@chat/stack';
import {
  BlockStore,
  ConversationStore,
  CursorStore,
  MessageStore,
  openStore,
  ReportStore,
  type Models,
  type StoreConnection,
} from '@chat/store';

interface Statement {
  call: string;
  sql: string;
  args: unknown[];
}

/** Full scans allowed on PostgreSQL, by store call and table, with why (each one a known cost). */
const KNOWN_SCANS: Array<{ call: RegExp; table: string; why: string }> = [];

const MONGO_DB = 'plans';
const hexUser = (i: number) => `5b${i.toString(16).padStart(22, '0')}`;

/** One-to-one rooms among `users` users, each user in about 2 * rooms / users of them, no pair twice. */
function roomPairs(rooms: number, users: number): Array<[string, string]> {
  return Array.from({ length: rooms }, (_, i) => [hexUser(i % users), hexUser((i + 1 + Math.floor(i / users)) % users)]);
}

/** A FerretDB with debug logging and the statements it ran, attributed to the store call running. */
class Traced {
  readonly statements: Statement[] = [];
  private current = '';
  ferret!: ManagedProcess;
  db!: StoreConnection;
  models!: Models;

  constructor(private readonly kind: 'postgresql' | 'sqlite') {}

  onLine = (_name: string, line: string) => {
    if (!line.startsWith('{') || !this.current) return;
    let j: { msg?: string; sql?: string; args?: unknown };
    try {
      j = JSON.parse(line);
    } catch {
      return;
    }
    if (this.kind === 'postgresql' && j.msg === 'Query' && j.sql) {
      const args = j.args && typeof j.args === 'object' ? Object.values(j.args as Record<string, unknown>) : [];
      this.statements.push({ call: this.current, sql: j.sql, args });
    }
    if (this.kind === 'sqlite' && j.msg?.startsWith('>>> ')) {
      this.statements.push({ call: this.current, sql: j.msg.slice(4), args: Array.isArray(j.args) ? j.args : [] });
    }
  };

  /** Starts FerretDB on the backend, logging every statement when `traced` (slow: the fill runs untraced). */
  async start(backend: { kind: 'postgresql'; url: string } | { kind: 'sqlite'; dir: string }, traced: boolean): Promise<void> {
    const port = await freePort();
    this.ferret = await startFerretDB({
      port,
      backend,
      stateDir: join(REPO_ROOT, '.data', `ferretdb-plans-${this.kind}-state`),
      logDir: join(REPO_ROOT, '.data', 'test-logs', `plans-${this.kind}`),
      ...(traced ? { logLevel: 'debug' as const, logFormat: 'json' as const, onLine: this.onLine } : {}),
    });
    ({ db: this.db, models: this.models } = await openStore(
      `mongodb://127.0.0.1:${port}/${MONGO_DB}`,
      'store-plans-test',
      { warn: () => undefined },
      (_w, _h, check) => check().then(() => undefined),
    ));
  }

  async stop(): Promise<void> {
    await this.db?.close().catch(() => undefined);
    if (this.ferret) await stopProcess(this.ferret);
  }

  /** Fills the store through an untraced FerretDB, then starts a traced one on the same data. */
  async startFilled<T>(
    backend: { kind: 'postgresql'; url: string } | { kind: 'sqlite'; dir: string },
    filler: (m: Models) => Promise<T>,
  ): Promise<T> {
    await this.start(backend, false);
    const filled = await filler(this.models);
    await this.stop();
    await this.start(backend, true);
    return filled;
  }

  /** Runs one store call and keeps the statements it caused (its log lines arrive a little later). */
  async trace(call: string, f: () => Promise<unknown>): Promise<void> {
    this.current = call;
    await f();
    await new Promise((r) => setTimeout(r, 300));
    this.current = '';
  }
}

/**
 * Conversations, memberships, cursors and messages: `rooms` rooms among `users` users, `perRoom` messages
 * each; five blocks per user, and a report of each room's first message (one in 50 still open, as an
 * operators' queue that is kept up with).
 */
async function fill(
  models: Models,
  rooms: number,
  users: number,
  perRoom: number,
): Promise<{ roomIds: string[]; pairs: Array<[string, string]>; messageIds: string[] }> {
  const pairs = roomPairs(rooms, users);
  const at = new Date();
  const convs = pairs.map(([a, b]) => ({
    _id: new Types.ObjectId(),
    key: [a, b].sort().join(':'),
    kind: 'direct' as const,
    participants: [a, b].sort(),
    name: null,
    admins: [],
    createdBy: null,
    lastSeq: perRoom,
    lastSeqBy: { [a]: perRoom - 1, [b]: perRoom },
    sendersTracked: true,
    lastMessage: null,
    lastActivityAt: at,
    createdAt: at,
  }));
  await models.Conversation.insertMany(convs, { lean: true });
  const roomIds = convs.map((c) => String(c._id));
  const rows = pairs.flatMap(([a, b], i) =>
    [a, b].map((u) => ({ _id: `${roomIds[i]}:${u}`, roomId: roomIds[i], userId: u, kind: 'direct' as const, joinedSeq: 0 })),
  );
  await models.Membership.insertMany(rows, { lean: true });
  await models.Cursor.insertMany(
    rows.map((r) => ({
      _id: r._id,
      roomId: r.roomId,
      userId: r.userId,
      deliveredSeq: perRoom - 4,
      deliveredAt: at,
      readSeq: perRoom - 8,
      readAt: at,
    })),
    { lean: true },
  );
  const messageIds: string[] = [];
  for (let start = 0; start < rooms; start += 25) {
    const docs = pairs.slice(start, start + 25).flatMap(([a, b], k) =>
      Array.from({ length: perRoom }, (_, s) => {
        const _id = new Types.ObjectId();
        messageIds.push(String(_id));
        const [senderId, receiverId] = s % 2 ? [b, a] : [a, b];
        return {
          _id,
          roomId: roomIds[start + k],
          seq: s + 1,
          senderId,
          receiverId,
          content: `message ${s + 1}`,
          clientMsgId: null,
          createdAt: at,
          editedAt: null,
          deletedAt: null,
        };
      }),
    );
    await models.Message.insertMany(docs, { lean: true });
  }
  const blocks = Array.from({ length: users * 5 }, (_, i) => {
    const [blocker, blocked] = [hexUser(i % users), hexUser(((i % users) + 1 + Math.floor(i / users)) % users)];
    return { _id: `${blocker}:${blocked}`, blockerId: blocker, blockedId: blocked, createdAt: at };
  });
  await models.Block.insertMany(blocks, { lean: true });
  const reports = roomIds.map((roomId, i) => ({
    _id: new Types.ObjectId().toHexString(),
    roomId,
    messageId: messageIds[i * perRoom],
    reporterId: pairs[i][1],
    reason: 'spam',
    snapshot: null,
    status: i % 50 === 0 ? ('open' as const) : ('resolved' as const),
    createdAt: at,
  }));
  await models.Report.insertMany(reports, { lean: true });
  return { roomIds, pairs, messageIds };
}

/** Every store call a user's requests and the workers make, on one room and one user. */
async function exercise(t: Traced, roomId: string, user: string, messageId: string): Promise<void> {
  const conversations = new ConversationStore(t.models);
  const messages = new MessageStore(t.models);
  const cursors = new CursorStore(t.models);
  const other = (await conversations.get(roomId))!.participants.find((p) => p !== user)!;
  const scope = (await conversations.scopeFor(roomId, user))!;
  await t.trace('messages.findByIds', () => messages.findByIds([messageId]));
  await t.trace('messages.findForParticipant', () => messages.findForParticipant(messageId, user));
  await t.trace('messages.history', () => messages.history(scope, { limit: 50 }));
  await t.trace('messages.history(before)', () => messages.history(scope, { limit: 50, before: 30 }));
  await t.trace('messages.latestIncoming', () => messages.latestIncoming(scope, 20, 5000));
  await t.trace('messages.countIncomingSince', () => messages.countIncomingSince(scope, 20));
  await t.trace('messages.changedSince', () => messages.changedSince(scope, 20, 5000));
  await t.trace('messages.sendersBetween', () => messages.sendersBetween(roomId, 20, 30, 100));
  await t.trace('messages.applyEdit', () => messages.applyEdit(messageId, 'edited', new Date()));
  await t.trace('conversations.get', () => conversations.get(roomId));
  await t.trace('conversations.scopeFor', () => conversations.scopeFor(roomId, user));
  await t.trace('conversations.findOrCreatePair', () => conversations.findOrCreatePair(user, other));
  await t.trace('roomsWithMessages', () => conversations.roomsWithMessages(user));
  await t.trace('cursors.forUser', () => cursors.forUser(user));
  await t.trace('cursors.forRoom', () => cursors.forRoom(roomId));
  await t.trace('cursors.advance', () => cursors.advance(roomId, user, 'read', 39, new Date()));
  const blocks = new BlockStore(t.models);
  const reports = new ReportStore(t.models);
  await t.trace('conversations.pairRoomId', () => conversations.pairRoomId(user, other));
  await t.trace('blocks.blocks', () => blocks.blocks(other, user));
  await t.trace('blocks.blockedBy', () => blocks.blockedBy(user, 1000));
  await t.trace('blocks.list', () => blocks.list(user, { limit: 50, offset: 0 }));
  await t.trace('blocks.blockersOf', () => blocks.blockersOf([user]));
  await t.trace('blocks.block', () => blocks.block(user, other, new Date()));
  await t.trace('blocks.unblock', () => blocks.unblock(user, other));
  await t.trace('reports.listOpen', () => reports.listOpen(50));
  await t.trace('reports.resolveAllFor', () => reports.resolveAllFor(messageId, 'kept', user, new Date()));
}

/** The statements that read or write one of the collections' tables (not FerretDB's own metadata). */
function lookups(statements: Statement[]): Statement[] {
  return statements.filter(
    (s) =>
      /^\s*(SELECT|UPDATE|DELETE)\b/i.test(s.sql) &&
      /"(messages|conversations|memberships|cursors|blocks|reports)_[0-9a-f]{8}"/.test(s.sql),
  );
}

const tableOf = (sql: string) => /"(messages|conversations|memberships|cursors|blocks|reports)_[0-9a-f]{8}"/.exec(sql)![1];

const pgUrl = process.env.TEST_POSTGRES_URL
  ? (() => {
      const u = new URL(process.env.TEST_POSTGRES_URL);
      u.pathname = '/chat_plans';
      return u.toString();
    })()
  : `${DEFAULT_POSTGRES_SERVER}/chat_plans`;

describe('the stand-in store plans every lookup the services make', () => {
  describe('FerretDB on PostgreSQL', () => {
    const t = new Traced('postgresql');
    let skip = '';
    let pg: Client;
    let target: { roomId: string; user: string; messageId: string };

    beforeAll(async () => {
      const refusal = await postgresRefusal(pgUrl);
      if (refusal) {
        skip = `PostgreSQL does not answer at ${pgUrl} (${refusal})`;
        return;
      }
      await dropPostgresDatabase(pgUrl);
      // 2,000 rooms among 400 users (10 each), 20 messages each: tables where a scan costs far more than a lookup
      const { roomIds, pairs, messageIds } = await t.startFilled({ kind: 'postgresql', url: pgUrl }, (m) => fill(m, 2000, 400, 20));
      pg = new Client({ connectionString: pgUrl });
      await pg.connect();
      for (const { tablename } of (await pg.query(`select tablename from pg_tables where schemaname = $1`, [MONGO_DB])).rows)
        await pg.query(`analyze "${MONGO_DB}"."${tablename}"`);
      target = { roomId: roomIds[7], user: pairs[7][0], messageId: messageIds[7 * 20 + 5] };
    }, 300_000);

    afterAll(async () => {
      await pg?.end();
      await t.stop();
      if (!skip) await dropPostgresDatabase(pgUrl).catch(() => undefined);
    }, 60_000);

    it('uses an index for each of them (the known scans aside)', async () => {
      // no PostgreSQL, no plan to check: a failure that says so, never a silent pass
      if (skip) throw new Error(skip);
      await exercise(t, target.roomId, target.user, target.messageId);
      const seen = lookups(t.statements);
      const calls = new Set(seen.map((s) => s.call));
      for (const call of [
        'messages.findByIds',
        'messages.history',
        'messages.countIncomingSince',
        'roomsWithMessages',
        'cursors.forUser',
        'cursors.forRoom',
        'blocks.blockedBy',
        'blocks.blockersOf',
        'reports.listOpen',
      ])
        expect(calls).toContain(call);
      const report: string[] = [];
      const unexpected: string[] = [];
      for (const s of seen) {
        // a document logged in full is cut short ("(truncated N bytes)"): its value does not change the plan;
        // an UPDATE's arguments are logged as the hex of their bytes
        const args = s.args.map((a) => {
          if (typeof a !== 'string') return a;
          if (a.includes('(truncated')) return '{}';
          return /^\s*UPDATE/i.test(s.sql) && /^([0-9a-f]{2})+$/.test(a) ? Buffer.from(a, 'hex').toString('utf8') : a;
        });
        const plan = (await pg.query(`explain (format json) ${s.sql}`, args)).rows[0]['QUERY PLAN'][0].Plan;
        const nodes: Array<{ type: string; relation?: string; index?: string }> = [];
        const walk = (n: Record<string, unknown>) => {
          nodes.push({
            type: n['Node Type'] as string,
            relation: n['Relation Name'] as string | undefined,
            index: n['Index Name'] as string | undefined,
          });
          for (const c of (n.Plans as Array<Record<string, unknown>> | undefined) ?? []) walk(c);
        };
        walk(plan);
        const table = tableOf(s.sql);
        const scans = nodes.filter((n) => n.type === 'Seq Scan');
        const indexes = nodes.filter((n) => n.index).map((n) => n.index);
        report.push(`${s.call.padEnd(30)} ${table.padEnd(13)} ${scans.length ? 'SCAN' : `index ${indexes.join(', ')}`}`);
        if (scans.length && !KNOWN_SCANS.some((k) => k.call.test(s.call) && k.table === table))
          unexpected.push(`${s.call}: ${s.sql} ${JSON.stringify(args)} -> ${JSON.stringify(nodes)}`);
      }
      process.stdout.write(`\n[store-plans] PostgreSQL\n${report.join('\n')}\n`);
      expect(unexpected).toEqual([]);
    });

    it('plans lookups as lookups however large a table grows: no JIT compiling and no parallel workers in its database', async () => {
      if (skip) throw new Error(skip);
      // PostgreSQL has no statistics on `_jsonb -> 'field'`, so it guesses a lookup matches a share of the
      // table: at 1,000,000 messages a room's 50 took 100-300 ms of JIT and worker start-up instead of 1 ms
      const fresh = new Client({ connectionString: pgUrl });
      await fresh.connect();
      try {
        expect((await fresh.query('show jit')).rows[0].jit).toBe('off');
        expect((await fresh.query('show max_parallel_workers_per_gather')).rows[0].max_parallel_workers_per_gather).toBe('0');
      } finally {
        await fresh.end();
      }
    });
  });

  describe('FerretDB on SQLite', () => {
    const t = new Traced('sqlite');
    const dir = join(REPO_ROOT, '.data', 'ferretdb-plans-sqlite');
    const file = join(dir, `${MONGO_DB}.sqlite`);
    let sqlite3 = '';
    let target: { roomId: string; user: string; messageId: string };

    beforeAll(async () => {
      try {
        sqlite3 = execFileSync('sh', ['-c', 'command -v sqlite3'], { encoding: 'utf8' }).trim();
      } catch {
        return;
      }
      rmSync(dir, { recursive: true, force: true });
      mkdirSync(dir, { recursive: true });
      const { roomIds, pairs, messageIds } = await t.startFilled({ kind: 'sqlite', dir }, (m) => fill(m, 300, 60, 20));
      target = { roomId: roomIds[7], user: pairs[7][0], messageId: messageIds[7 * 20 + 5] };
      // what npm start does on SQLite: the _id lookup index, and a checkpoint that empties the WAL
      await new SqliteUpkeep(dir, () => undefined).once();
    }, 300_000);

    afterAll(async () => {
      await t.stop();
      rmSync(dir, { recursive: true, force: true });
    }, 60_000);

    const explain = (sql: string, args: unknown[]) => {
      // FerretDB binds each ? in order; as literals here (the plan is the same for a lone equality)
      let i = 0;
      const literal = (v: unknown) =>
        typeof v === 'number' ? String(v) : `'${String(typeof v === 'string' ? v : JSON.stringify(v)).replace(/'/g, "''")}'`;
      const bound = sql.replace(/\?/g, () => literal(args[i++]));
      return execFileSync(sqlite3, ['-readonly', file, `EXPLAIN QUERY PLAN ${bound}`], { encoding: 'utf8' });
    };

    it('uses the added index for _id lookups, and scans for every other lookup (why SQLite is the last resort)', async () => {
      if (!sqlite3) throw new Error('the sqlite3 command is not installed: sudo apt-get install -y sqlite3');
      await exercise(t, target.roomId, target.user, target.messageId);
      const seen = lookups(t.statements).filter((s) => /^\s*SELECT/i.test(s.sql));
      expect(seen.length).toBeGreaterThan(10);
      const report: string[] = [];
      const wrong: string[] = [];
      for (const s of seen) {
        const plan = explain(s.sql, s.args);
        const byId = /WHERE _ferretdb_sjson->'\$\._id' = \?/.test(s.sql);
        report.push(
          `${s.call.padEnd(30)} ${tableOf(s.sql).padEnd(13)} ${plan.includes('USING INDEX') ? 'index' : 'SCAN'}${byId ? ' (_id)' : ''}`,
        );
        if (byId && !/SEARCH .* USING INDEX \S+__chat_id_lookup/.test(plan))
          wrong.push(`_id lookup not served by the index: ${s.sql} -> ${plan}`);
        if (!byId && !/WHERE/.test(s.sql) && !/\bSCAN\b/.test(plan)) wrong.push(`expected a scan: ${s.sql} -> ${plan}`);
        if (!byId && /WHERE/.test(s.sql))
          wrong.push(`FerretDB now pushes down more than _id (update docs/ferretdb.md and this test): ${s.sql}`);
      }
      process.stdout.write(`\n[store-plans] SQLite\n${report.join('\n')}\n`);
      expect(wrong).toEqual([]);
      expect(report.some((r) => r.includes('(_id)'))).toBe(true);
      const wal = `${file}-wal`;
      expect(existsSync(wal) ? statSync(wal).size : 0).toBeLessThan(1024 * 1024);
    });
  });
});
