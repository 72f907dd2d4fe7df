import { trusted } from 'mongoose';
import { isObjectId } from '@chat/contracts';
import type { ConversationDoc, LastMessage, MessageDoc, Models } from './models';
import { walkRoom } from './room-buckets';

/**
 * A room's summary (lastSeq, lastMessage, lastSeqBy, lastActivityAt) is written behind by the persistence
 * worker that owns the room: its seqs come from memory, and the summary is written at most once per
 * interval. While the owner may have stored messages the summary does not show yet, the room's `tailOpen`
 * names that owner (set before its first such message is stored), and a reader adds the room's tail, the
 * messages past the summary's lastSeq, to what the summary says. The tail is bounded by the summary
 * interval; a room whose owner flushed and went quiet has no open tail and costs readers nothing extra.
 */
export type TailMessage = Pick<MessageDoc, '_id' | 'seq' | 'senderId' | 'content' | 'createdAt' | 'deletedAt'>;

/** The summary fields a tail can move on. */
export type RoomSummary = Pick<ConversationDoc, 'lastSeq' | 'lastMessage' | 'lastActivityAt' | 'lastSeqBy' | 'sendersTracked'>;

/**
 * The room's messages past `afterSeq`, oldest first (on MongoDB a walk of the (roomId, seq) index), without
 * their content but the last one's (the summary's last message): a tail can hold a burst of thousands.
 */
export async function readTail(m: Models, roomId: string, afterSeq: number): Promise<TailMessage[]> {
  const tail = await m.Message.find({ roomId, seq: trusted({ $gt: afterSeq }) })
    .select(TAIL_FIELDS)
    .sort({ seq: 1 })
    .batchSize(10_000)
    .lean<TailMessage[]>();
  return withLastContent(m, tail);
}

const TAIL_FIELDS = { _id: 1, seq: 1, senderId: 1, createdAt: 1, deletedAt: 1 } as const;

/**
 * readTail for readers, by bucket (room-buckets.ts): the buckets past `afterSeq` while they hold messages.
 * The room's owner, taking a room over, reads the tail by range instead (readTail): a hole of a whole
 * bucket in a tail (seqs an owner reserved and died before storing) would end this walk early, and an owner
 * must know the true last seq; a reader at worst sees a summary a moment old.
 */
async function readTailByBucket(m: Models, roomId: string, afterSeq: number): Promise<TailMessage[]> {
  const tail = await walkRoom(m, {
    roomId,
    above: afterSeq,
    top: afterSeq,
    pastTop: true,
    order: 1,
    limit: Number.POSITIVE_INFINITY,
    select: TAIL_FIELDS,
  });
  return withLastContent(m, tail);
}

async function withLastContent(m: Models, tail: TailMessage[]): Promise<TailMessage[]> {
  if (tail.length === 0) return tail;
  const last = tail[tail.length - 1];
  const withContent = await m.Message.findById(last._id).select({ content: 1 }).lean<Pick<TailMessage, 'content'>>();
  tail[tail.length - 1] = { ...last, content: withContent?.content ?? '' };
  return tail;
}

export function lastMessageOf(m: TailMessage): LastMessage {
  const deleted = m.deletedAt !== null && m.deletedAt !== undefined;
  return {
    id: String(m._id),
    senderId: m.senderId,
    seq: m.seq,
    content: deleted ? null : m.content,
    deleted,
    createdAt: new Date(m.createdAt),
  };
}

/** The summary with the tail's messages applied, as the owner would write it. Pure. */
export function withTail<T extends RoomSummary>(doc: T, tail: readonly TailMessage[]): T {
  if (tail.length === 0) return doc;
  const last = tail[tail.length - 1];
  const lastSeqBy = doc.sendersTracked === true ? { ...(doc.lastSeqBy ?? {}) } : doc.lastSeqBy;
  let tracked = doc.sendersTracked;
  if (tracked === true) {
    for (const t of tail) {
      if (!isObjectId(t.senderId)) tracked = false;
      else lastSeqBy![t.senderId] = Math.max(lastSeqBy![t.senderId] ?? 0, t.seq);
    }
  }
  return {
    ...doc,
    lastSeq: Math.max(doc.lastSeq, last.seq),
    lastMessage: lastMessageOf(last),
    lastActivityAt: new Date(Math.max(new Date(doc.lastActivityAt).getTime(), new Date(last.createdAt).getTime())),
    lastSeqBy,
    sendersTracked: tracked,
  };
}

/** Whether readers must add the room's tail to its summary. */
export function tailIsOpen(doc: Pick<ConversationDoc, 'tailOpen'>): boolean {
  return typeof doc.tailOpen === 'string' && doc.tailOpen.length > 0;
}

/** The summary a reader can trust: with the tail applied when the owner has one open. */
export async function resolveSummary<T extends RoomSummary & Pick<ConversationDoc, '_id' | 'tailOpen'>>(m: Models, doc: T): Promise<T> {
  if (!tailIsOpen(doc)) return doc;
  return withTail(doc, await readTailByBucket(m, String(doc._id), doc.lastSeq));
}

/** resolveSummary for many rooms, at most `concurrency` tail reads at once. */
export async function resolveSummaries<T extends RoomSummary & Pick<ConversationDoc, '_id' | 'tailOpen'>>(
  m: Models,
  docs: T[],
  concurrency = 8,
): Promise<T[]> {
  const out = docs.slice();
  const open = docs.map((d, i) => [d, i] as const).filter(([d]) => tailIsOpen(d));
  for (let k = 0; k < open.length; k += concurrency) {
    await Promise.all(open.slice(k, k + concurrency).map(async ([d, i]) => (out[i] = await resolveSummary(m, d))));
  }
  return out;
}

/** A room as its persistence worker (its owner) starts from: the true last seq and what the tail adds. */
export interface RoomHeadState {
  kind: 'direct' | 'group';
  lastSeq: number;
  lastMessage: LastMessage | null;
  tailOpen: string | null;
  /**
   * What the tail adds that the written summary lacks: each sender's last seq in it, and how many messages
   * it holds (when any, `lastMessage` is its last). The new owner writes these with its first summary.
   */
  tailSenders: Record<string, number>;
  tailMessages: number;
}

/** The owner's starting point from the room's document and its tail (the messages past lastSeq). Pure. */
export function headState(
  doc: Pick<ConversationDoc, 'kind' | 'lastSeq' | 'lastMessage' | 'lastChangeSeq' | 'tailOpen'>,
  tail: readonly TailMessage[],
): RoomHeadState {
  const tailSenders: Record<string, number> = {};
  for (const t of tail) tailSenders[t.senderId] = Math.max(tailSenders[t.senderId] ?? 0, t.seq);
  const last = tail[tail.length - 1];
  return {
    kind: doc.kind ?? 'direct',
    // an edit or delete's seq is written to the summary before it is applied, so it is never in a tail
    lastSeq: Math.max(doc.lastSeq, last?.seq ?? 0, doc.lastChangeSeq ?? 0),
    lastMessage: last ? lastMessageOf(last) : doc.lastMessage,
    tailOpen: doc.tailOpen ?? null,
    tailSenders,
    tailMessages: tail.length,
  };
}
