import { Types, trusted, type Connection } from 'mongoose';
import { lookupEach } from './lookup-each';
import { ONE_BATCH, type MessageDoc, type Models } from './models';
import { BUCKET_SIZE } from './room-buckets';
import type { RoomScope } from './scope';
import { holdsAllWords } from './search-words';

export type StoreKind = 'mongodb' | 'ferretdb';

/** Which server the connection talks to: FerretDB answers buildInfo with its own version field. */
export async function detectStoreKind(db: Connection): Promise<StoreKind> {
  const info = await db.getClient().db('admin').command({ buildInfo: 1 });
  return 'ferretdbVersion' in info ? 'ferretdb' : 'mongodb';
}

/** A room to search, as its member sees it (summary with the open tail applied). */
export interface SearchRoom {
  scope: RoomScope;
  lastSeq: number;
  /** Messages may follow lastSeq: the room's owner is storing past its summary. */
  tailOpen: boolean;
  /** No message of the room is newer than this. */
  lastActivityAt: Date;
}

/** Where a page ended: results continue with messages older than this (createdAt, then id). */
export interface SearchPosition {
  at: Date;
  id: string;
}

export interface SearchQuery {
  /** Folded words (searchWords); a message must hold them all. */
  words: string[];
  before?: SearchPosition;
  limit: number;
}

export interface SearchPage {
  /** Newest first (createdAt, then id). */
  messages: MessageDoc[];
  hasMore: boolean;
  /** FerretDB only: the scan reached its bound; messages sent before `searchedSince` were not searched. */
  partial: boolean;
  searchedSince: Date | null;
  /** Messages read to answer (FerretDB: what the scan decoded; MongoDB: the matches fetched). */
  scanned: number;
}

/** Name of the MongoDB text index; FerretDB v1 has none (no `$text`). */
export const SEARCH_INDEX = 'search_words';
/** Matches a MongoDB query reads at a time from one room. */
const INDEXED_BATCH = 200;
/** Bucket reads in flight at once in a FerretDB scan. */
const AHEAD = 4;

const key = (d: { createdAt: Date; _id: unknown }) => ({ t: new Date(d.createdAt).getTime(), id: String(d._id) });
const newer = (a: { t: number; id: string }, b: { t: number; id: string }) => a.t > b.t || (a.t === b.t && a.id > b.id);
/** A filter for messages strictly older than `p` by (createdAt, _id). */
const olderThan = (p: SearchPosition) => [
  { createdAt: trusted({ $lt: p.at }) },
  { createdAt: p.at, _id: trusted({ $lt: new Types.ObjectId(p.id) }) },
];
const newestFirst = (a: MessageDoc, b: MessageDoc) => (newer(key(a), key(b)) ? -1 : newer(key(b), key(a)) ? 1 : 0);

/**
 * Finds messages by their words in a member's rooms. On MongoDB a text index on (roomId, content) answers
 * it room by room, exactly. FerretDB v1 has no text index and no `$text`, and applies regexes, ranges
 * and sorts only after reading every document an equality matched (docs/ferretdb.md), so there the rooms'
 * newest messages are read by bucket, newest first across the rooms, and matched in JavaScript, up to
 * `scanLimit` messages a query: older messages are not searched, and the page says so (`partial`).
 */
export class MessageSearch {
  constructor(
    private readonly m: Models,
    readonly kind: StoreKind,
    readonly scanLimit: number,
  ) {}

  /** Creates the text index on MongoDB (idempotent; nothing on FerretDB). */
  async prepare(): Promise<void> {
    if (this.kind !== 'mongodb') return;
    // language "none": no stemming or stop words, so a word matches as typed (case and diacritics aside)
    await this.m.Message.collection.createIndex({ roomId: 1, content: 'text' }, { name: SEARCH_INDEX, default_language: 'none' });
  }

  async search(rooms: SearchRoom[], q: SearchQuery): Promise<SearchPage> {
    if (q.words.length === 0 || rooms.length === 0)
      return { messages: [], hasMore: false, partial: false, searchedSince: null, scanned: 0 };
    return this.kind === 'mongodb' ? this.searchIndexed(rooms, q) : this.scan(rooms, q);
  }

  /**
   * MongoDB: `$text` queries per room (a text index with a prefix field needs an equality on it), newest
   * first from the cursor, a batch at a time. The index finds messages holding any of the words, in its own
   * folding (case and diacritics, language "none"); holdsAllWords keeps those that hold them all as
   * this module defines words, so both stores answer alike. Merged here.
   */
  private async searchIndexed(rooms: SearchRoom[], q: SearchQuery): Promise<SearchPage> {
    const $search = q.words.join(' ');
    const batch = Math.max(q.limit + 1, INDEXED_BATCH);
    let scanned = 0;
    const inRoom = async (r: SearchRoom): Promise<MessageDoc[]> => {
      const found: MessageDoc[] = [];
      for (let from = q.before; ;) {
        const docs = await this.m.Message.find({
          roomId: r.scope.roomId,
          $text: trusted({ $search }),
          deletedAt: null,
          ...(r.scope.fromSeq > 0 ? { seq: trusted({ $gt: r.scope.fromSeq }) } : {}),
          ...(from ? { $or: olderThan(from) } : {}),
        })
          .sort({ createdAt: -1, _id: -1 })
          .limit(batch)
          .batchSize(batch)
          .lean<MessageDoc[]>();
        scanned += docs.length;
        found.push(...docs.filter((d) => holdsAllWords(d.content, q.words)));
        if (found.length > q.limit || docs.length < batch) return found.slice(0, q.limit + 1);
        const last = docs[docs.length - 1];
        from = { at: new Date(last.createdAt), id: String(last._id) };
      }
    };
    const all = (await lookupEach(rooms, inRoom)).flat().sort(newestFirst);
    return { messages: all.slice(0, q.limit), hasMore: all.length > q.limit, partial: false, searchedSince: null, scanned };
  }

  /**
   * FerretDB: reads bucket by bucket (one indexed equality lookup of at most BUCKET_SIZE messages each),
   * always from the room whose unread messages are newest (its frontier: the oldest createdAt read so far,
   * at first its last activity), so what has been read is every message newer than the highest frontier.
   * Stops when `limit + 1` matches are newer than every frontier, the rooms are read to their start, or
   * `scanLimit` messages were read. A page after the first reads from the newest again (buckets newer than
   * the cursor count too), so every page searches the same window.
   */
  private async scan(rooms: SearchRoom[], q: SearchQuery): Promise<SearchPage> {
    const before = q.before ? { t: q.before.at.getTime(), id: q.before.id } : undefined;
    const scans = rooms.map((r) => ({
      r,
      next: Math.floor(r.lastSeq / BUCKET_SIZE),
      low: Math.floor((r.scope.fromSeq + 1) / BUCKET_SIZE),
      frontier: new Date(r.lastActivityAt).getTime(),
    }));
    const matches: MessageDoc[] = [];
    let scanned = 0;
    const take = (r: SearchRoom, docs: MessageDoc[]) => {
      scanned += docs.length;
      for (const d of docs) {
        if (d.seq <= r.scope.fromSeq || d.deletedAt || !holdsAllWords(d.content, q.words)) continue;
        if (before && !newer(before, key(d))) continue;
        matches.push(d);
      }
    };
    const read = (roomId: string, k: number) =>
      this.m.Message.find({ rb: `${roomId}:${k}` })
        .batchSize(ONE_BATCH)
        .lean<MessageDoc[]>();

    // a room still being written past its summary: its buckets above lastSeq first, while they hold messages
    for (const s of scans.filter((x) => x.r.tailOpen)) {
      for (let k = s.next + 1; ; k++) {
        const docs = await read(s.r.scope.roomId, k);
        if (docs.length === 0) break;
        take(s.r, docs);
      }
    }

    const live = () => scans.filter((s) => s.next >= s.low).sort((a, b) => b.frontier - a.frontier);
    const finals = (horizon: number) => matches.filter((d) => new Date(d.createdAt).getTime() > horizon);
    let open = live();
    while (open.length > 0 && scanned < this.scanLimit && finals(open[0].frontier).length <= q.limit) {
      // the newest rooms' next buckets, a few at a time; with fewer rooms than reads, more of the newest one
      const picks = open.slice(0, AHEAD).map((s) => ({ s, n: 1 }));
      picks[0].n += AHEAD - picks.length;
      const reads = picks.flatMap(({ s, n }) => Array.from({ length: Math.min(n, s.next - s.low + 1) }, (_, i) => ({ s, k: s.next - i })));
      const results = await Promise.all(reads.map(({ s, k }) => read(s.r.scope.roomId, k)));
      reads.forEach(({ s, k }, i) => {
        const docs = results[i];
        take(s.r, docs);
        s.next = Math.min(s.next, k - 1);
        for (const d of docs) s.frontier = Math.min(s.frontier, new Date(d.createdAt).getTime());
      });
      open = live();
    }
    const horizon = open.length > 0 ? open[0].frontier : Number.NEGATIVE_INFINITY;
    const found = finals(horizon).sort(newestFirst);
    const partial = open.length > 0 && found.length <= q.limit;
    return {
      messages: found.slice(0, q.limit),
      hasMore: found.length > q.limit,
      partial,
      searchedSince: partial ? new Date(horizon) : null,
      scanned,
    };
  }
}
