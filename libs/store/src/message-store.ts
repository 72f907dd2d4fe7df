import { lookupEach } from './lookup-each';
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

  /**
   * The stored versions of these ids, by one _id lookup each, a few at a time (lookupEach).
   * FerretDB v1 pushes an _id equality down to PostgreSQL but answers `$in` by scanning the whole
   * collection: after a store outage every redelivered persistence batch (up to 200 ids) scanned the
   * 170,000 messages of the fault suite, FerretDB took both cores for half a minute and nothing was stored
   * meanwhile (docs/ferretdb.md). MongoDB answers either way from the _id index.
   */
  async findByIds(ids: string[]): Promise<MessageDoc[]> {
    const valid = [...new Set(ids)].filter((id) => Types.ObjectId.isValid(id));
    return lookupEach(valid, (id) => this.m.Message.findById(id).lean<MessageDoc>());
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
      const writeErrors = (
        err as { writeErrors?: Array<{ code?: number; err?: { code?: number; op?: { _id?: unknown } }; index?: number }> }
      ).writeErrors;
      // a network failure mid-insert arrives as a bulk write error with no write errors: not a duplicate
      if (!writeErrors || writeErrors.length === 0) throw err;
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
    if (q.after !== undefined || scope.fromSeq > 0) range.$gt = Math.max(q.after ?? 0, scope.fromSeq);
    if (Object.keys(range).length > 0) filter.seq = trusted(range);
    const ascending = q.after !== undefined;
    const docs = await this.m.Message.find(filter)
      .sort({ seq: ascending ? 1 : -1 })
      .limit(q.limit + 1)
      .batchSize(q.limit + 1)
      .lean<MessageDoc[]>();
    return { messages: docs.slice(0, q.limit), hasMore: docs.length > q.limit };
  }

  /**
   * The newest `limit` messages from others in the scope's room after `afterSeq`, oldest first (reconnect
   * sync: a device away longer than one sync hands over gets the latest, and is told of the gap before them).
   */
  async latestIncoming(scope: RoomScope, afterSeq: number, limit: number): Promise<MessageDoc[]> {
    const docs = await this.m.Message.find({
      roomId: scope.roomId,
      seq: trusted({ $gt: Math.max(afterSeq, scope.fromSeq) }),
      senderId: trusted({ $ne: scope.userId }),
      deletedAt: null,
    })
      .sort({ seq: -1 })
      .limit(limit)
      .batchSize(limit)
      .lean<MessageDoc[]>();
    return docs.reverse();
  }

  /** One message, only if the user is its sender or receiver (null otherwise: callers answer 404). */
  async findForParticipant(messageId: string, userId: string): Promise<MessageDoc | null> {
    if (!Types.ObjectId.isValid(messageId)) return null;
    return this.m.Message.findOne({
      _id: new Types.ObjectId(messageId),
      $or: trusted([{ senderId: userId }, { receiverId: userId }]),
    }).lean<MessageDoc>();
  }

  /**
   * Writes an edit, with the room seq the change took (`changedSeq`, when there is one). Only the room's
   * persistence worker writes messages (see the persistence worker's RoomHeads).
   */
  async applyEdit(messageId: string, content: string, at: Date, changedSeq?: number): Promise<void> {
    await this.m.Message.updateOne(
      { _id: new Types.ObjectId(messageId) },
      { $set: { content, editedAt: at, ...(changedSeq ? { changedSeq } : {}) } },
    );
  }

  /** Soft delete: the record stays as a tombstone (id, seq, deletedAt); its content is erased. */
  async applyDelete(messageId: string, at: Date, changedSeq?: number): Promise<void> {
    await this.m.Message.updateOne(
      { _id: new Types.ObjectId(messageId) },
      { $set: { content: '', deletedAt: at, ...(changedSeq ? { changedSeq } : {}) } },
    );
  }

  /**
   * Messages to the user at or below `afterSeq` (the ones a device already has) that were edited or
   * deleted after it: what a catch-up must tell the device besides the new messages. Only asked for rooms
   * whose last change is past `afterSeq` (ConversationDoc.lastChangeSeq), so it runs rarely; on MongoDB it
   * walks the (roomId, seq) index up to `afterSeq`.
   */
  async changedSince(scope: RoomScope, afterSeq: number, limit: number): Promise<MessageDoc[]> {
    return this.m.Message.find({
      roomId: scope.roomId,
      seq: trusted(scope.fromSeq > 0 ? { $gt: scope.fromSeq, $lte: afterSeq } : { $lte: afterSeq }),
      changedSeq: trusted({ $gt: afterSeq }),
      senderId: trusted({ $ne: scope.userId }),
    })
      .sort({ changedSeq: 1 })
      .limit(limit)
      .batchSize(limit)
      .lean<MessageDoc[]>();
  }

  /** How many messages from others in the scope's room come after `afterSeq` and are not deleted. */
  async countIncomingSince(scope: RoomScope, afterSeq: number): Promise<number> {
    return this.m.Message.countDocuments({
      roomId: scope.roomId,
      seq: trusted({ $gt: Math.max(afterSeq, scope.fromSeq) }),
      senderId: trusted({ $ne: scope.userId }),
      deletedAt: null,
    });
  }

  /**
   * Who wrote the messages of a room with seq in (afterSeq, uptoSeq], with each message's id and seq, newest
   * first, at most `limit` (the newest ones): the senders a group receipt covering that range concerns.
   * For the receipts worker, which learns from a receipt that a member reached uptoSeq; no content is read.
   * On MongoDB a walk of the (roomId, seq) index; FerretDB v1 reads the whole room (no range push-down).
   */
  async sendersBetween(
    roomId: string,
    afterSeq: number,
    uptoSeq: number,
    limit: number,
  ): Promise<Array<{ id: string; seq: number; senderId: string }>> {
    const docs = await this.m.Message.find({ roomId, seq: trusted({ $gt: afterSeq, $lte: uptoSeq }) })
      .select({ _id: 1, seq: 1, senderId: 1 })
      .sort({ seq: -1 })
      .limit(limit)
      .batchSize(limit)
      .lean<Array<Pick<MessageDoc, '_id' | 'seq' | 'senderId'>>>();
    return docs.map((d) => ({ id: String(d._id), seq: d.seq, senderId: d.senderId }));
  }

  /** The scope user's mentions in a group, newest first. */
  async mentioning(scope: RoomScope, limit: number): Promise<MessageDoc[]> {
    const since = scope.fromSeq > 0 ? { seq: trusted({ $gt: scope.fromSeq }) } : {};
    return this.m.Message.find({ roomId: scope.roomId, mentions: scope.userId, deletedAt: null, ...since })
      .sort({ seq: -1 })
      .limit(limit)
      .batchSize(limit)
      .lean<MessageDoc[]>();
  }
}
