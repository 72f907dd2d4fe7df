/*
 * npm run bench -- --soak [--soak-messages 1000000] [--soak-rooms 1000] [--soak-backend auto|postgresql|sqlite] [--soak-search-scan 2000]
 *                         [--soak-samples 200] [--soak-checkpoints 10000,100000,1000000] [--size 150] [--out bench/results]
 *
 * Does the store npm start runs stay fast as it fills? Starts FerretDB the way npm start does (startDevStore:
 * the local PostgreSQL when it answers, else SQLite), in a database of its own that starts empty, fills it
 * through the store's own batched insert (as the persistence worker stores: MessageStore.insertIdempotent,
 * 1,000 messages a command, then each room's summary), and at each checkpoint (10k, 100k, 1M messages) times
 * the lookups a user's requests make, with the store classes the services use:
 *   findById   MessageStore.findByIds([id]) of a message anywhere in the store
 *   page       a room's newest page: ConversationStore.scopeFor, MessageStore.history (50), CursorStore.forRoom
 *   unread     the unread counts (UnreadCountsUseCase's reads): rooms with messages, the user's cursors, a count per room behind
 *   sync       a connect-time sync (ReadMissedUseCase's store reads): the same two, then latestIncoming per room behind
 *   search-hit   GET /chat/search's store reads for a word every message holds: the user's rooms, a page of 20
 *   search-miss  the same for a word no message holds: on FerretDB the scan reads to its bound (--soak-search-scan,
 *                SEARCH_SCAN_LIMIT's default); its "results" column is the messages read
 *   search-room  a word no message holds in one room (the scan's bound, or the room's start)
 * for users and rooms that grow with the store, and for a few rooms that stop at 50 messages (the store grows
 * around them). Before each checkpoint every participant's cursors are moved as the receipts worker moves them,
 * to 20 messages before the end (read) and 10 (delivered), so each lookup has the same work at every size.
 * Writes soak-<time>.json and .md to --out.
 */
import { randomUUID } from 'node:crypto';
import { existsSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, totalmem } from 'node:os';
import { join, resolve } from 'node:path';
import mongoose, { Types } from 'mongoose';
import {
  canConnect,
  DEFAULT_POSTGRES_SERVER,
  dropPostgresDatabase,
  postgresTablesBytes,
  REPO_ROOT,
  startDevStore,
  type DevStore,
} from '@chat/stack';
import {
  ConversationStore,
  CursorStore,
  detectStoreKind,
  MessageSearch,
  MessageStore,
  openStore,
  searchWords,
  type Models,
  type NewMessage,
  type StoreConnection,
} from '@chat/store';
import { parseSoakArgs, type SoakArgs } from './soak-args';
import { soakMarkdown, type Lookup, type SoakCheckpoint, type SoakReport } from './soak-report';

const MONGO_DB = 'soak';
const BATCH = 1000;
const ROOMS_PER_BATCH = 20;
const PAGE = 50;
const SYNC_LIMIT_PER_ROOM = 5000; // the edge's SYNC_LIMIT_PER_ROOM default
const ID_SAMPLE = 5000;

const log = (s: string) => process.stdout.write(`[soak] ${s}\n`);

interface Room {
  id: string;
  a: string;
  b: string;
  lastSeq: number;
  by: Record<string, number>;
  fixed: boolean;
}

/** 24-hex user ids, distinct per set. */
const userId = (set: number, i: number) => `5a${String(set).padStart(2, '0')}${i.toString(16).padStart(20, '0')}`;

/**
 * Pairs for `rooms` one-to-one rooms among users who each take part in about 10 (4 for small sets): room i joins
 * user i mod n with user i + k mod n, k = 1 + floor(i / n), so no pair repeats while 2k < n.
 */
function pairs(set: number, rooms: number): Array<[string, string]> {
  const n = rooms >= 50 ? Math.ceil(rooms / 5) : Math.max(3, Math.ceil(rooms / 2));
  return Array.from({ length: rooms }, (_, i) => [userId(set, i % n), userId(set, (i + 1 + Math.floor(i / n)) % n)]);
}

function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return 0;
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)];
}

const round = (n: number, d = 2) => Math.round(n * 10 ** d) / 10 ** d;

/** Runs `f` over `items`, `n` at a time. */
async function pool<T>(items: T[], n: number, f: (t: T) => Promise<unknown>): Promise<void> {
  let i = 0;
  await Promise.all(
    Array.from({ length: Math.min(n, items.length) }, async () => {
      while (i < items.length) await f(items[i++]);
    }),
  );
}

const pick = <T>(xs: T[]): T => xs[Math.floor(Math.random() * xs.length)];

class Soak {
  readonly conversations: ConversationStore;
  readonly messages: MessageStore;
  readonly cursors: CursorStore;
  search!: MessageSearch;
  readonly rooms: Room[] = [];
  readonly ids: string[] = [];
  stored = 0;
  rawBytes = 0;
  private idsSeen = 0;
  private growCursor = 0;
  private readonly content: string;

  constructor(
    readonly models: Models,
    readonly args: SoakArgs,
  ) {
    this.conversations = new ConversationStore(models);
    this.messages = new MessageStore(models);
    this.cursors = new CursorStore(models);
    const words = 'the quick brown fox jumps over a lazy dog while we wait for the next message to arrive ';
    this.content = words.repeat(Math.ceil(args.messageBytes / words.length)).slice(0, args.messageBytes);
  }

  get growing(): Room[] {
    return this.rooms.filter((r) => !r.fixed);
  }

  get fixedRooms(): Room[] {
    return this.rooms.filter((r) => r.fixed);
  }

  /** The rooms and their memberships, created as the edge creates them (ConversationStore.findOrCreatePair). */
  async createRooms(): Promise<void> {
    const fixed = pairs(2, this.args.fixedRooms).map((p) => ({ p, fixed: true }));
    const growing = pairs(1, this.args.rooms - this.args.fixedRooms).map((p) => ({ p, fixed: false }));
    await pool([...fixed, ...growing], 8, async ({ p: [a, b], fixed: isFixed }) => {
      const c = await this.conversations.findOrCreatePair(a, b);
      this.rooms.push({ id: String(c._id), a, b, lastSeq: 0, by: {}, fixed: isFixed });
    });
  }

  /** One persistence-like batch: `perRoom` messages to each of `rooms`, one insert command, then each room's summary. */
  async batch(rooms: Room[], perRoom: number): Promise<number> {
    const docs: NewMessage[] = [];
    const at = new Date();
    for (const r of rooms) {
      for (let i = 0; i < perRoom; i++) {
        const seq = ++r.lastSeq;
        const [senderId, receiverId] = seq % 2 ? [r.a, r.b] : [r.b, r.a];
        r.by[senderId] = seq;
        docs.push({
          id: new Types.ObjectId().toHexString(),
          roomId: r.id,
          seq,
          senderId,
          receiverId,
          content: this.content,
          clientMsgId: randomUUID(),
          createdAt: at,
        });
      }
    }
    const collided = await this.messages.insertIdempotent(docs);
    if (collided.size) throw new Error(`${collided.size} ids collided`);
    for (const d of docs) {
      this.rawBytes += mongoose.mongo.BSON.calculateObjectSize(
        { ...d, _id: new Types.ObjectId(d.id), id: undefined },
        { ignoreUndefined: true },
      );
      // a uniform sample of every id stored, for findById
      this.idsSeen++;
      if (this.ids.length < ID_SAMPLE) this.ids.push(d.id);
      else if (Math.random() < ID_SAMPLE / this.idsSeen) this.ids[Math.floor(Math.random() * ID_SAMPLE)] = d.id;
    }
    // the summary the persistence worker writes for each room after its batch (closed: no tail to add)
    const last = docs[docs.length - 1];
    await Promise.all(
      rooms.map((r) => {
        const lastDoc = docs.filter((d) => d.roomId === r.id).at(-1)!;
        const lastMessage = {
          id: lastDoc.id,
          senderId: lastDoc.senderId,
          seq: lastDoc.seq,
          content: lastDoc.content,
          deleted: false,
          createdAt: last.createdAt,
        };
        const by = Object.fromEntries(Object.entries(r.by).map(([u, s]) => [`lastSeqBy.${u}`, s]));
        return this.models.Conversation.collection.updateOne(
          { _id: new Types.ObjectId(r.id) },
          { $set: { lastSeq: r.lastSeq, lastActivityAt: at, lastMessage, ...by } },
        );
      }),
    );
    this.stored += docs.length;
    return docs.length;
  }

  /** The fixed rooms, filled to their size first. */
  async fillFixed(): Promise<void> {
    const rooms = this.fixedRooms;
    for (let i = 0; i < rooms.length; i += ROOMS_PER_BATCH) await this.batch(rooms.slice(i, i + ROOMS_PER_BATCH), this.args.fixedRoomSize);
  }

  /** The next batch for the growing rooms, round robin, at most `max` messages. */
  async grow(max: number): Promise<number> {
    const rooms = this.growing;
    const n = Math.min(BATCH, max);
    const k = Math.min(ROOMS_PER_BATCH, rooms.length, n);
    const take = Array.from({ length: k }, (_, i) => rooms[(this.growCursor + i) % rooms.length]);
    this.growCursor = (this.growCursor + k) % rooms.length;
    return this.batch(take, Math.floor(n / k));
  }

  /** Moves every participant's cursors as the receipts worker would: read to 20 before the end, delivered to 10. */
  async moveCursors(): Promise<void> {
    const moves = this.rooms.flatMap((r) => [r.a, r.b].map((u) => ({ r, u })));
    const at = new Date();
    await pool(moves, 8, async ({ r, u }) => {
      if (r.lastSeq - 20 > 0) await this.cursors.advance(r.id, u, 'read', r.lastSeq - 20, at);
      if (r.lastSeq - 10 > 0) await this.cursors.advance(r.id, u, 'delivered', r.lastSeq - 10, at);
    });
  }

  // --- the lookups, as the edge's use cases make them -------------------------------------------------

  async findById(): Promise<number> {
    return (await this.messages.findByIds([pick(this.ids)])).length;
  }

  async page(rooms: Room[]): Promise<number> {
    const r = pick(rooms);
    const scope = await this.conversations.scopeFor(r.id, Math.random() < 0.5 ? r.a : r.b);
    if (!scope) throw new Error(`no scope for room ${r.id}`);
    const [page] = await Promise.all([this.messages.history(scope, { limit: PAGE }), this.cursors.forRoom(scope.roomId)]);
    return page.messages.length;
  }

  async unread(users: string[]): Promise<number> {
    const u = pick(users);
    const [rooms, mine] = await Promise.all([this.conversations.roomsWithMessages(u), this.cursors.forUser(u)]);
    const counts = await Promise.all(
      rooms.map(async (r) => {
        const read = Math.max(mine.get(r.scope.roomId)?.readSeq ?? 0, r.scope.fromSeq);
        return r.lastIncomingSeq <= read ? 0 : this.messages.countIncomingSince(r.scope, read, r.lastIncomingSeq);
      }),
    );
    return counts.reduce((a, b) => a + b, 0);
  }

  async sync(users: string[]): Promise<number> {
    const u = pick(users);
    const [rooms, mine] = await Promise.all([this.conversations.roomsWithMessages(u), this.cursors.forUser(u)]);
    const from = (roomId: string) => mine.get(roomId)?.deliveredSeq ?? 0;
    const behind = rooms.filter((r) => r.lastIncomingSeq > from(r.scope.roomId));
    const changed = rooms.filter((r) => (r.lastChangeSeq ?? 0) > from(r.scope.roomId));
    const [stored] = await Promise.all([
      Promise.all(
        behind.map((r) => this.messages.latestIncoming(r.scope, from(r.scope.roomId), SYNC_LIMIT_PER_ROOM + 1, r.lastIncomingSeq)),
      ),
      Promise.all(changed.map((r) => this.messages.changedSince(r.scope, from(r.scope.roomId), SYNC_LIMIT_PER_ROOM + 1))),
    ]);
    return stored.flat().length;
  }

  /** GET /chat/search's store reads: the user's rooms (or one), then a page of 20 (FerretDB: up to the scan's bound). */
  async searchAll(users: string[], q: string): Promise<number> {
    const page = await this.search.search(await this.conversations.searchRooms(pick(users)), { words: searchWords(q), limit: 20 });
    return q === 'zebra' ? page.scanned : page.messages.length;
  }

  async searchRoom(rooms: Room[]): Promise<number> {
    const r = pick(rooms);
    const scope = await this.conversations.scopeFor(r.id, r.a);
    const room = scope && (await this.conversations.searchRoom(scope));
    if (!room) throw new Error(`no scope for room ${r.id}`);
    return (await this.search.search([room], { words: ['zebra'], limit: 20 })).scanned;
  }

  async time(name: string, samples: number, f: () => Promise<number>): Promise<Lookup> {
    for (let i = 0; i < Math.min(10, samples); i++) await f(); // warm: connections, plans, caches
    const ms: number[] = [];
    let results = 0;
    for (let i = 0; i < samples; i++) {
      const t = performance.now();
      results += await f();
      ms.push(performance.now() - t);
    }
    ms.sort((a, b) => a - b);
    return {
      name,
      samples,
      p50Ms: round(percentile(ms, 50)),
      p99Ms: round(percentile(ms, 99)),
      meanMs: round(ms.reduce((a, b) => a + b, 0) / ms.length),
      maxMs: round(ms[ms.length - 1]),
      meanResults: round(results / samples, 1),
    };
  }
}

async function main(): Promise<void> {
  const args = parseSoakArgs(process.argv.slice(2));
  const startedAt = new Date();
  const port = Number(process.env.BENCH_SOAK_FERRETDB_PORT ?? 27021);
  if (await canConnect('127.0.0.1', port)) throw new Error(`something already listens on 127.0.0.1:${port}; set BENCH_SOAK_FERRETDB_PORT`);
  const postgresUrl = process.env.SOAK_POSTGRES_URL ?? `${DEFAULT_POSTGRES_SERVER}/chat_soak`;
  const sqliteDir = join(REPO_ROOT, '.data', 'ferretdb-soak');
  // an empty store every run: drop what the last one left
  if (args.backend !== 'sqlite') await dropPostgresDatabase(postgresUrl).catch(() => undefined);
  if (existsSync(sqliteDir)) rmSync(sqliteDir, { recursive: true, force: true });
  const store: DevStore = await startDevStore({
    port,
    postgresUrl,
    postgresUrlEnv: 'SOAK_POSTGRES_URL',
    sqliteDir,
    stateDir: join(REPO_ROOT, '.data', 'ferretdb-soak-state'),
    backend: args.backend,
    say: (l, level) => log(level === 'warn' ? `WARN ${l}` : l),
    logDir: join(REPO_ROOT, '.data', 'bench-logs'),
  });
  let db: StoreConnection | null = null;
  try {
    const mongoUrl = `mongodb://127.0.0.1:${port}/${MONGO_DB}`;
    const opened = await openStore(mongoUrl, 'soak', { warn: (o, m) => log(`${m} ${JSON.stringify(o)}`) }, async (_what, _hint, check) => {
      await check();
    });
    db = opened.db;
    const soak = new Soak(opened.models, args);
    soak.search = new MessageSearch(opened.models, await detectStoreKind(db), args.searchScan);
    await soak.search.prepare();
    log(`${store.backend}: ${store.location}`);
    log(`creating ${args.rooms} rooms (${args.fixedRooms} of them stay at ${args.fixedRoomSize} messages)`);
    await soak.createRooms();
    const users = [...new Set(soak.growing.flatMap((r) => [r.a, r.b]))];
    const fixedUsers = [...new Set(soak.fixedRooms.flatMap((r) => [r.a, r.b]))];
    log(`${users.length} users in the growing rooms, ${fixedUsers.length} in the fixed ones`);

    const windowSize = Math.max(5000, Math.floor(args.messages / 100));
    const windows: SoakReport['ingest']['windows'] = [];
    let windowStart = performance.now();
    let windowStored = 0;
    let fillMs = 0;
    const track = async (f: () => Promise<number>) => {
      const t = performance.now();
      const n = await f();
      fillMs += performance.now() - t;
      windowStored += n;
      if (windowStored >= windowSize) {
        windows.push({ atMessages: soak.stored, perSecond: Math.round(windowStored / ((performance.now() - windowStart) / 1000)) });
        windowStored = 0;
        windowStart = performance.now();
      }
    };
    windowStart = performance.now();
    await track(async () => {
      const before = soak.stored;
      await soak.fillFixed();
      return soak.stored - before;
    });

    const checkpoints: SoakCheckpoint[] = [];
    let phaseStart = { stored: soak.stored, fillMs: 0 };
    let lastReport = Date.now();
    for (const target of args.checkpoints) {
      log(`filling to ${target.toLocaleString('en')} messages`);
      while (soak.stored < target) {
        await track(() => soak.grow(target - soak.stored));
        if (Date.now() - lastReport > 15_000) {
          lastReport = Date.now();
          log(`  ${soak.stored.toLocaleString('en')} messages, ${windows.at(-1)?.perSecond ?? '?'} msg/s lately`);
        }
      }
      // the time spent outside the fill (cursors, lookups) is not the window's
      const phase = { messages: soak.stored - phaseStart.stored, seconds: (fillMs - phaseStart.fillMs) / 1000 };
      phaseStart = { stored: soak.stored, fillMs };
      log(
        `at ${soak.stored.toLocaleString('en')} messages (${Math.round(phase.messages / phase.seconds)} msg/s in this phase); moving cursors`,
      );
      const pausedAt = performance.now();
      await soak.moveCursors();
      await new Promise((r) => setTimeout(r, 2000));
      const s = args.samples;
      const lookups = [
        await soak.time('findById', s, () => soak.findById()),
        await soak.time('page', s, () => soak.page(soak.growing)),
        await soak.time('unread', s, () => soak.unread(users)),
        await soak.time('sync', s, () => soak.sync(users)),
        await soak.time('search-hit', s, () => soak.searchAll(users, 'fox')),
        await soak.time('search-miss', s, () => soak.searchAll(users, 'zebra')),
        await soak.time('search-room', s, () => soak.searchRoom(soak.growing)),
      ];
      const fixed = [
        await soak.time('page', s, () => soak.page(soak.fixedRooms)),
        await soak.time('unread', s, () => soak.unread(fixedUsers)),
        await soak.time('sync', s, () => soak.sync(fixedUsers)),
      ];
      const diskBytes = await store.diskBytes();
      const messagesTableBytes = store.backend === 'postgresql' ? await postgresTablesBytes(postgresUrl, MONGO_DB, 'messages') : null;
      const cp: SoakCheckpoint = {
        messages: soak.stored,
        messagesPerGrowingRoom: Math.round(soak.growing.reduce((n, r) => n + r.lastSeq, 0) / soak.growing.length),
        lookups,
        fixedRoomLookups: fixed,
        diskBytes,
        messagesTableBytes,
        rawMessageBytes: soak.rawBytes,
        diskToRaw: round(diskBytes / soak.rawBytes),
        ingestPerSecond: Math.round(phase.messages / phase.seconds),
        loadAverage: round(loadavg()[0]),
      };
      checkpoints.push(cp);
      log(
        `  ${lookups.map((l) => `${l.name} p50 ${l.p50Ms} p99 ${l.p99Ms} ms`).join('; ')}; disk ${(diskBytes / 1e6).toFixed(1)} MB = ${cp.diskToRaw}x the ${(soak.rawBytes / 1e6).toFixed(1)} MB of messages`,
      );
      log(`  fixed rooms: ${fixed.map((l) => `${l.name} p50 ${l.p50Ms} p99 ${l.p99Ms} ms`).join('; ')}`);
      // the window in flight does not count the pause
      windowStart += performance.now() - pausedAt;
    }

    const report = buildReport(args, store, startedAt, checkpoints, windows, windowSize);
    const dir = resolve(REPO_ROOT, args.out);
    mkdirSync(dir, { recursive: true });
    const base = join(dir, `soak-${startedAt.toISOString().replace(/[:.]/g, '-')}`);
    writeFileSync(`${base}.json`, JSON.stringify(report, null, 2) + '\n');
    writeFileSync(`${base}.md`, soakMarkdown(report));
    process.stdout.write('\n' + soakMarkdown(report) + '\n');
    log(`wrote ${base}.json and .md`);
  } finally {
    await db?.close().catch(() => undefined);
    await store.stop();
  }
}

function buildReport(
  args: SoakArgs,
  store: DevStore,
  startedAt: Date,
  checkpoints: SoakCheckpoint[],
  windows: SoakReport['ingest']['windows'],
  windowSize: number,
): SoakReport {
  const first = checkpoints[0];
  const last = checkpoints[checkpoints.length - 1];
  const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? 0;
  const early = median(windows.slice(0, 3).map((w) => w.perSecond));
  const late = median(windows.slice(-3).map((w) => w.perSecond));
  const lookupTargets = last.lookups.map((l) => {
    const base = first.lookups.find((b) => b.name === l.name)!;
    const ratio = round(l.p99Ms / base.p99Ms);
    return { name: l.name, p99FirstMs: base.p99Ms, p99LastMs: l.p99Ms, ratio, pass: ratio <= 2 };
  });
  return {
    kind: 'soak',
    startedAt: startedAt.toISOString(),
    finishedAt: new Date().toISOString(),
    machine: { cores: cpus().length, memoryGB: Math.round(totalmem() / 2 ** 30), node: process.version },
    // the report names paths inside the repository only
    store: { backend: store.backend, location: store.location.split(`${REPO_ROOT}/`).join(''), ferretdb: 'v1.24.2' },
    args,
    checkpoints,
    ingest: { windowMessages: windowSize, windows, earlyPerSecond: early, latePerSecond: late },
    targets: {
      complete: last.messages >= 1_000_000,
      lookups: lookupTargets,
      disk: { diskToRaw: last.diskToRaw, pass: last.diskToRaw <= 3 },
      ingest: { fraction: round(late / early), pass: late >= 0.8 * early },
    },
  };
}

main().then(
  () => process.exit(0),
  (err) => {
    process.stderr.write(`[soak] failed: ${(err as Error).stack ?? err}\n`);
    process.exit(1);
  },
);
