import type { MessageStatus } from '@chat/contracts';
import type { CursorDoc, Models } from './models';

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

export class CursorStore {
  constructor(private readonly m: Models) {}

  async forRoom(roomId: string): Promise<Map<string, CursorDoc>> {
    const docs = await this.m.Cursor.find({ roomId }).lean<CursorDoc[]>();
    return new Map(docs.map((d) => [d.userId, d]));
  }

  async forUser(userId: string): Promise<Map<string, CursorDoc>> {
    const docs = await this.m.Cursor.find({ userId }).lean<CursorDoc[]>();
    return new Map(docs.map((d) => [d.roomId, d]));
  }

  /**
   * Moves a cursor forward only (read also moves delivered: read implies delivered). Read, compare, write:
   * correct because one receipts worker owns a room's partition at a time (FerretDB v1 has no atomic
   * read-modify-write; see ConversationStore.reserveSeqs). Returns what moved, for notifying the sender once.
   */
  async advance(roomId: string, userId: string, kind: CursorKind, seq: number, at: Date): Promise<CursorMove> {
    const cur = await this.m.Cursor.findById(cursorId(roomId, userId)).lean<CursorDoc>();
    const from = kind === 'read' ? (cur?.readSeq ?? 0) : (cur?.deliveredSeq ?? 0);
    if (seq <= from) return { roomId, userId, kind, from, to: from, at };
    const set: Partial<CursorDoc> = { roomId, userId };
    if (kind === 'read') Object.assign(set, { readSeq: seq, readAt: at });
    if (seq > (cur?.deliveredSeq ?? 0)) Object.assign(set, { deliveredSeq: seq, deliveredAt: at });
    await this.m.Cursor.updateOne({ _id: cursorId(roomId, userId) }, { $set: set }, { upsert: true });
    return { roomId, userId, kind, from, to: seq, at };
  }
}
