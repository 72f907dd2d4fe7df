import { Types, trusted } from 'mongoose';
import type { MessageDoc, Models } from './models';
import type { RoomScope } from './scope';

const DUPLICATE_KEY = 11000;

/** A message to store: the id is the 24-hex string the edge assigned. */
export type NewMessage = Omit<MessageDoc, '_id'> & { id: string };

export interface HistoryPage {
  messages: MessageDoc[];
  hasMore: boolean;
}

export class MessageStore {
  constructor(private readonly m: Models) {}

  /** The stored versions of these ids (used to make redeliveries and resends harmless). */
  async findByIds(ids: string[]): Promise<MessageDoc[]> {
    if (ids.length === 0) return [];
    return this.m.Message.find({ _id: trusted({ $in: ids.map((id) => new Types.ObjectId(id)) }) }).lean<MessageDoc[]>();
  }

  /**
   * Inserts messages, skipping any whose id is already stored. Returns the ids that collided so the
   * caller can serve the stored version instead.
   */
  async insertIdempotent(messages: NewMessage[]): Promise<Set<string>> {
    const collided = new Set<string>();
    if (messages.length === 0) return collided;
    const docs: MessageDoc[] = messages.map(({ id, ...rest }) => ({ _id: new Types.ObjectId(id), ...rest }));
    try {
      await this.m.Message.insertMany(docs, { ordered: false, lean: true });
    } catch (err) {
      const writeErrors = (err as { writeErrors?: Array<{ code?: number; err?: { code?: number; op?: { _id?: unknown } }; index?: number }> }).writeErrors;
      if (!writeErrors) throw err;
      for (const we of writeErrors) {
        const code = we.code ?? we.err?.code;
        if (code !== DUPLICATE_KEY) throw err;
        const idx = we.index ?? (we.err as { index?: number } | undefined)?.index;
        if (idx !== undefined && docs[idx]) collided.add(String(docs[idx]._id));
      }
    }
    return collided;
  }

  /**
   * One page of a room's history. Without `after`: newest first, older pages with `before`.
   * With `after`: oldest first from that seq (used to catch up).
   */
  async history(scope: RoomScope, q: { before?: number; after?: number; limit: number }): Promise<HistoryPage> {
    const filter: Record<string, unknown> = { roomId: scope.roomId };
    const range: Record<string, number> = {};
    if (q.before !== undefined) range.$lt = q.before;
    if (q.after !== undefined) range.$gt = q.after;
    if (Object.keys(range).length > 0) filter.seq = trusted(range);
    const ascending = q.after !== undefined;
    const docs = await this.m.Message.find(filter)
      .sort({ seq: ascending ? 1 : -1 })
      .limit(q.limit + 1)
      .lean<MessageDoc[]>();
    return { messages: docs.slice(0, q.limit), hasMore: docs.length > q.limit };
  }

  /** Messages to the scope's user in the room after `afterSeq`, in seq order (reconnect sync). */
  async incomingSince(scope: RoomScope, afterSeq: number, limit: number): Promise<MessageDoc[]> {
    return this.m.Message.find({
      roomId: scope.roomId,
      receiverId: scope.userId,
      seq: trusted({ $gt: afterSeq }),
      deletedAt: null,
    })
      .sort({ seq: 1 })
      .limit(limit)
      .lean<MessageDoc[]>();
  }
}
