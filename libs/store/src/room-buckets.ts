import type { Models, MessageDoc } from './models';
import { ONE_BATCH } from './models';

/**
 * A room's messages are read by bucket: `rb` is "<roomId>:<floor(seq / BUCKET_SIZE)>", indexed, and a read
 * of a seq range is one equality lookup per bucket it touches. FerretDB v1 pushes equality filters down to
 * PostgreSQL but applies ranges, sorts and limits after reading every document the equality matched, so a
 * `{ roomId, seq: { $gt } }` read cost the whole room (docs/ferretdb.md); a bucket read costs at most
 * BUCKET_SIZE documents however long the room grows. On MongoDB each bucket is an index lookup too.
 * 32: FerretDB decodes every document a lookup matches, projection or not, so a bucket's size is what an
 * unread count or a short catch-up pays (with 100, both cost 4x at 1,000 messages a room what they cost at
 * 9); a page of 50 is two or three lookups.
 */
export const BUCKET_SIZE = 32;

export function bucketOf(roomId: string, seq: number): string {
  return `${roomId}:${Math.floor(seq / BUCKET_SIZE)}`;
}

const bucketIndex = (seq: number) => Math.floor(seq / BUCKET_SIZE);
const MAX_AHEAD = 4;

export interface RoomWalk {
  roomId: string;
  /** Only seqs above this one. */
  above: number;
  /** Only seqs below this one; without it, up to `top`. */
  below?: number;
  /** The room's last seq as its summary said (lastSeq). */
  top: number;
  /**
   * The summary's tail was open: messages may follow `top`, so the walk goes on through the buckets past it
   * while they hold messages. Past the summary's lastSeq a room holds only messages, seqs in a row (an edit
   * or delete's seq reaches the summary before it is applied), so the first empty bucket there is the end.
   */
  pastTop?: boolean;
  order: 1 | -1;
  limit: number;
  /** Which of the range's messages count (the walk itself filters only by seq). */
  keep?: (d: MessageDoc) => boolean;
  select?: Record<string, 1>;
}

/** The messages of a seq range of one room, in seq order (`order`), at most `limit`, read bucket by bucket. */
export async function walkRoom(m: Models, walk: RoomWalk): Promise<MessageDoc[]> {
  const w = walk.below === undefined && !walk.pastTop ? { ...walk, below: walk.top + 1 } : walk;
  const select = w.select ? { ...w.select, seq: 1 as const } : undefined;
  const read = async (k: number): Promise<MessageDoc[]> => {
    const q = m.Message.find({ rb: `${w.roomId}:${k}` });
    return (select ? q.select(select) : q).batchSize(ONE_BATCH).lean<MessageDoc[]>();
  };
  const inRange = (d: MessageDoc) => d.seq > w.above && (w.below === undefined || d.seq < w.below) && (w.keep ? w.keep(d) : true);
  const low = bucketIndex(w.above + 1);
  const out: MessageDoc[] = [];
  const take = (docs: MessageDoc[]) => {
    const kept = docs.filter(inRange).sort((a, b) => (a.seq - b.seq) * w.order);
    for (const d of kept) {
      if (out.length >= w.limit) return;
      out.push(d);
    }
  };

  // buckets a read knows it needs are read a few at a time: a page of 50 is one round trip, a catch-up of
  // thousands a fraction of one per bucket
  const ahead = (from: number, to: number) => {
    const left = w.limit - out.length;
    const n = Math.max(1, Math.min(MAX_AHEAD, Math.ceil(left / BUCKET_SIZE), Math.abs(to - from) + 1));
    return Array.from({ length: n }, (_, i) => from + i * w.order);
  };

  if (w.order === 1) {
    const high = w.below !== undefined ? bucketIndex(w.below - 1) : bucketIndex(Math.max(w.top, w.above + 1));
    for (let k = low; k <= high && out.length < w.limit;) {
      const ks = ahead(k, high);
      for (const docs of await Promise.all(ks.map(read))) take(docs);
      k += ks.length;
    }
    if (w.below !== undefined || !w.pastTop) return out;
    // past the known top: on while buckets hold messages
    for (let k = high + 1; out.length < w.limit; k++) {
      const docs = await read(k);
      if (docs.length === 0) break;
      take(docs);
    }
    return out;
  }

  let high: number;
  const above: MessageDoc[][] = [];
  if (w.below !== undefined) high = bucketIndex(w.below - 1);
  else if (!w.pastTop) high = bucketIndex(w.top);
  else {
    // the buckets past the known top come first when reading newest first
    high = bucketIndex(w.top);
    for (let k = high + 1; ; k++) {
      const docs = await read(k);
      if (docs.length === 0) break;
      above.push(docs);
    }
  }
  for (let i = above.length - 1; i >= 0 && out.length < w.limit; i--) take(above[i]);
  for (let k = high; k >= low && out.length < w.limit;) {
    const ks = ahead(k, low);
    for (const docs of await Promise.all(ks.map(read))) take(docs);
    k -= ks.length;
  }
  return out;
}

/**
 * Gives messages stored before buckets existed their `rb`, once per store (a marker in `store_meta` says it
 * was done). Until it has run, ranges of those rooms read short. Safe to run concurrently and to repeat.
 */
export async function backfillMessageBuckets(m: Models): Promise<number> {
  const meta = m.Message.db.collection<{ _id: string; at: Date }>('store_meta');
  if (await meta.findOne({ _id: 'message-buckets' })) return 0;
  let n = 0;
  const cursor = m.Message.collection.find({ rb: { $exists: false } }, { projection: { _id: 1, roomId: 1, seq: 1 } });
  for await (const d of cursor) {
    await m.Message.collection.updateOne({ _id: d._id }, { $set: { rb: bucketOf(String(d.roomId), Number(d.seq)) } });
    n++;
  }
  try {
    await meta.insertOne({ _id: 'message-buckets', at: new Date() });
  } catch (err) {
    // another persistence worker finished first
    if ((err as { code?: number }).code !== 11000) throw err;
  }
  return n;
}
