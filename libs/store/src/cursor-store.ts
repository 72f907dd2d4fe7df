import type { mongo } from 'mongoose';
import type { MessageStatus } from '@chat/contracts';
import { ONE_BATCH, type CursorDoc, type Models } from './models';

export type CursorKind = 'delivered' | 'read';

export interface CursorMove {
  roomId: string;
  userId: string;
  kind: CursorKind;
  /** The seq reached before and after; equal when nothing moved (a repeated or older receipt). */
  from: number;
  to: number;
  at: Date;
}

const cursorId = (roomId: string, userId: string) => `${roomId}:${userId}`;

/** A message's status for its receiver, from the receiver's cursor in that room. */
export function statusFor(seq: number, c: Pick<CursorDoc, 'deliveredSeq' | 'readSeq'> | undefined): MessageStatus {
  if (!c) return 'sent';
  if (seq <= c.readSeq) return 'read';
  if (seq <= c.deliveredSeq) return 'delivered';
  return 'sent';
}

/**
 * When the receiver's cursor of `kind` passed message `seq`: null if it has not. Exact when the cursor's
 * last move passed it (the seq before that move is below `seq`); otherwise the time is that last move's,
 * later than the true one (an upper bound).
 */
export function cursorPass(
  seq: number,
  c: Pick<CursorDoc, 'deliveredSeq' | 'deliveredAt' | 'deliveredFrom' | 'readSeq' | 'readAt' | 'readFrom'> | undefined,
  kind: CursorKind,
): { at: Date | null; exact: boolean } | null {
  if (!c) return null;
  const [to, at, from] = kind === 'read' ? [c.readSeq, c.readAt, c.readFrom] : [c.deliveredSeq, c.deliveredAt, c.deliveredFrom];
  if (to < seq) return null;
  return { at: at ?? null, exact: from !== undefined && from !== null && from < seq && at !== null && at !== undefined };
}

/**
 * Writes go through the driver, not the model (every value is already of its stored type): they run once
 * per receipt, and mongoose's casting of an update cost more CPU than the driver's own work.
 */
export class CursorStore {
  /**
   * The seqs of cursors this process last wrote (only when it is their sole writer: the receipts worker
   * owning the room's partition). Saves the read before each write; a stale entry cannot do harm, as the
   * write is guarded by the cached values and falls back to a read when it matches nothing.
   */
  private readonly written = new Map<string, { deliveredSeq: number; readSeq: number }>();

  constructor(
    private readonly m: Models,
    private readonly opts: { writerCacheSize?: number } = {},
  ) {}

  private get cursors(): mongo.Collection<CursorDoc> {
    return this.m.Cursor.collection as unknown as mongo.Collection<CursorDoc>;
  }

  async forRoom(roomId: string): Promise<Map<string, CursorDoc>> {
    const docs = await this.m.Cursor.find({ roomId }).batchSize(ONE_BATCH).lean<CursorDoc[]>();
    return new Map(docs.map((d) => [d.userId, d]));
  }

  async forUser(userId: string): Promise<Map<string, CursorDoc>> {
    const docs = await this.m.Cursor.find({ userId }).batchSize(ONE_BATCH).lean<CursorDoc[]>();
    return new Map(docs.map((d) => [d.roomId, d]));
  }

  /**
   * Moves a cursor forward only (read also moves delivered: read implies delivered). Read, compare, write:
   * correct because one receipts worker owns a room's partition at a time (FerretDB v1 has no atomic
   * read-modify-write; see the persistence worker's RoomHeads). Returns what moved, for notifying the sender once.
   */
  async advance(roomId: string, userId: string, kind: CursorKind, seq: number, at: Date): Promise<CursorMove> {
    const id = cursorId(roomId, userId);
    const known = this.written.get(id);
    if (known) {
      const from = kind === 'read' ? known.readSeq : known.deliveredSeq;
      // a stale entry is lower than the truth (cursors only grow), so "not ahead of it" holds for the truth too
      if (seq <= from) return { roomId, userId, kind, from, to: from, at };
      const next = nextCursor(known, kind, seq, at);
      const res = await this.cursors.updateOne(
        { _id: id, deliveredSeq: known.deliveredSeq, readSeq: known.readSeq },
        { $set: { roomId, userId, ...next.set } },
      );
      if (res.matchedCount === 1) {
        this.remember(id, next.seqs);
        return { roomId, userId, kind, from, to: seq, at };
      }
      this.written.delete(id); // another writer moved it meanwhile: read the truth
    }
    const cur = await this.m.Cursor.findById(id).lean<CursorDoc>();
    const seqs = { deliveredSeq: cur?.deliveredSeq ?? 0, readSeq: cur?.readSeq ?? 0 };
    const from = kind === 'read' ? seqs.readSeq : seqs.deliveredSeq;
    if (seq <= from) {
      this.remember(id, seqs);
      return { roomId, userId, kind, from, to: from, at };
    }
    const next = nextCursor(seqs, kind, seq, at);
    // a new cursor gets the null timestamps its model would give it (the driver applies no defaults; in
    // $set, as FerretDB v1 drops null values from $setOnInsert, and only when there was none: the sole writer)
    const defaults = cur ? {} : { deliveredAt: null, readAt: null };
    await this.cursors.updateOne({ _id: id }, { $set: { roomId, userId, ...defaults, ...next.set } }, { upsert: true });
    this.remember(id, next.seqs);
    return { roomId, userId, kind, from, to: seq, at };
  }

  private remember(id: string, seqs: { deliveredSeq: number; readSeq: number }): void {
    const max = this.opts.writerCacheSize ?? 0;
    if (max <= 0) return;
    this.written.delete(id); // re-insert keeps least-recently-used first
    this.written.set(id, seqs);
    if (this.written.size > max) this.written.delete(this.written.keys().next().value as string);
  }
}

/** The cursor after moving `kind` to `seq`: both seqs are always written, so a guarded write can name both. */
function nextCursor(cur: { deliveredSeq: number; readSeq: number }, kind: CursorKind, seq: number, at: Date) {
  const seqs = { deliveredSeq: Math.max(cur.deliveredSeq, seq), readSeq: kind === 'read' ? seq : cur.readSeq };
  const set: Partial<CursorDoc> = { ...seqs };
  if (kind === 'read') {
    set.readAt = at;
    set.readFrom = cur.readSeq;
  }
  if (seq > cur.deliveredSeq) {
    set.deliveredAt = at;
    set.deliveredFrom = cur.deliveredSeq;
  }
  return { seqs, set };
}
