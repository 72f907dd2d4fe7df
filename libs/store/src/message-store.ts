import { lookupEach } from './lookup-each';
import { Types, trusted } from 'mongoose';
import type { ConversationDoc, MessageDoc, Models } from './models';
import { tailIsOpen } from './room-tail';
import { withoutPairReceiver } from './pair-receivers';
import { bucketOf, walkRoom } from './room-buckets';
import type { RoomScope } from './scope';

const DUPLICATE_KEY = 11000;

/** A message to store: the id is the 24-hex string the edge assigned. */
/** A message as the persistence worker stores it: never edited or deleted yet, so without those fields. */
export type NewMessage = Omit<MessageDoc, '_id' | 'rb' | 'editedAt' | 'deletedAt' | 'storedAt' | 'acceptedBy'> & { id: string };

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
    const docs = messages.map(({ id, ...rest }) => ({
      _id: new Types.ObjectId(id),
      ...withoutPairReceiver(rest),
      rb: bucketOf(rest.roomId, rest.seq),
    }));
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
   * With `after`: oldest first from that seq (used to catch up). Read by bucket (room-buckets.ts).
   */
  async history(scope: RoomScope, q: { before?: number; after?: number; limit: number }): Promise<HistoryPage> {
    const docs = await walkRoom(this.m, {
      roomId: scope.roomId,
      above: Math.max(q.after ?? 0, scope.fromSeq),
      below: q.before,
      ...(q.before !== undefined ? { top: q.before - 1 } : await this.endOf(scope.roomId)),
      order: q.after !== undefined ? 1 : -1,
      limit: q.limit + 1,
    });
    return { messages: docs.slice(0, q.limit), hasMore: docs.length > q.limit };
  }

  /**
   * The newest `limit` messages from others in the scope's room after `afterSeq`, oldest first (reconnect
   * sync: a device away longer than one sync hands over gets the latest, and is told of the gap before them).
   * Read newest first by bucket, so a long absence costs the buckets handed over, not the room. `upto`:
   * where the caller knows the room ends (its summary with the open tail applied); without it, read here.
   */
  async latestIncoming(scope: RoomScope, afterSeq: number, limit: number, upto?: number): Promise<MessageDoc[]> {
    const docs = await walkRoom(this.m, {
      roomId: scope.roomId,
      above: Math.max(afterSeq, scope.fromSeq),
      ...(await this.endOf(scope.roomId, upto)),
      order: -1,
      limit,
      keep: (d) => d.senderId !== scope.userId && !d.deletedAt,
    });
    return docs.reverse();
  }

  /**
   * Where a read of the room's newest messages starts: `upto` when the caller knows it, else the room's
   * summary, and past it while buckets hold messages when the owner's tail is open (room-buckets.ts).
   */
  private async endOf(roomId: string, upto?: number): Promise<{ top: number; pastTop: boolean }> {
    if (upto !== undefined) return { top: upto, pastTop: false };
    const doc = await this.m.Conversation.findById(roomId)
      .select({ lastSeq: 1, tailOpen: 1 })
      .lean<Pick<ConversationDoc, 'lastSeq' | 'tailOpen'>>();
    return { top: doc?.lastSeq ?? 0, pastTop: !doc || tailIsOpen(doc) };
  }

  /** One message, only if the user is its sender or receiver (null otherwise: callers answer 404). */
  async findForParticipant(messageId: string, userId: string): Promise<MessageDoc | null> {
    if (!Types.ObjectId.isValid(messageId)) return null;
    // by id alone: a pair's receiver is not stored, it is filled in on read
    const doc = await this.m.Message.findById(messageId).lean<MessageDoc>();
    return doc && (doc.senderId === userId || doc.receiverId === userId) ? doc : null;
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

  /**
   * Soft delete: the record stays as a tombstone (id, seq, deletedAt); its content is erased. `by`:
   * 'moderator' for an operator's delete (a sender's leaves it unset).
   */
  async applyDelete(messageId: string, at: Date, changedSeq?: number, by?: 'moderator'): Promise<void> {
    await this.m.Message.updateOne(
      { _id: new Types.ObjectId(messageId) },
      { $set: { content: '', deletedAt: at, ...(changedSeq ? { changedSeq } : {}), ...(by ? { deletedBy: by } : {}) } },
    );
  }

  /** Writes a message's reactions (judged by the room's persistence worker) and the room seq the change took. */
  async applyReactions(messageId: string, reactions: MessageDoc['reactions'], reactedSeq?: number): Promise<void> {
    await this.m.Message.updateOne(
      { _id: new Types.ObjectId(messageId) },
      { $set: { reactions: reactions ?? [], ...(reactedSeq ? { reactedSeq } : {}) } },
    );
  }

  /**
   * Messages of the scope's room whose reactions changed after `afterSeq`, any sender (reactions to the
   * user's own messages matter most), not deleted, oldest change first. Asked only for rooms whose last
   * change is past `afterSeq`, like changedSince, and like it a read by roomId rather than by bucket: a
   * reacted message can be anywhere in the room, so on MongoDB it walks the room's (roomId, seq) index
   * entries and on FerretDB v1 it reads the whole room.
   */
  async reactedSince(scope: RoomScope, afterSeq: number, limit: number): Promise<MessageDoc[]> {
    return this.m.Message.find({
      roomId: scope.roomId,
      reactedSeq: trusted({ $gt: afterSeq }),
      deletedAt: null,
      ...(scope.fromSeq > 0 ? { seq: trusted({ $gt: scope.fromSeq }) } : {}),
    })
      .sort({ reactedSeq: 1 })
      .limit(limit)
      .batchSize(limit)
      .lean<MessageDoc[]>();
  }

  /**
   * The messages replies answer, with only what a reply shows of them (room, sender, deletion), by one _id
   * lookup each (see findByIds).
   */
  async replyTargets(ids: string[]): Promise<Array<Pick<MessageDoc, '_id' | 'roomId' | 'senderId' | 'seq' | 'deletedAt'>>> {
    const valid = [...new Set(ids)].filter((id) => Types.ObjectId.isValid(id));
    return lookupEach(valid, (id) =>
      this.m.Message.findById(id).select({ roomId: 1, senderId: 1, seq: 1, deletedAt: 1 }).lean<MessageDoc>(),
    );
  }

  /**
   * Messages to the user at or below `afterSeq` (the ones a device already has) that were edited or
   * deleted after it: what a catch-up must tell the device besides the new messages. Only asked for rooms
   * whose last change is past `afterSeq` (ConversationDoc.lastChangeSeq), so it runs rarely; on MongoDB it
   * walks the (roomId, seq) index up to `afterSeq`, on FerretDB v1 it reads the whole room (an edited
   * message can be anywhere in it).
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

  /** How many messages from others in the scope's room come after `afterSeq` and are not deleted (`upto` as above). */
  async countIncomingSince(scope: RoomScope, afterSeq: number, upto?: number): Promise<number> {
    const docs = await walkRoom(this.m, {
      roomId: scope.roomId,
      above: Math.max(afterSeq, scope.fromSeq),
      ...(await this.endOf(scope.roomId, upto)),
      order: 1,
      limit: Number.POSITIVE_INFINITY,
      keep: (d) => d.senderId !== scope.userId && !d.deletedAt,
      select: { senderId: 1, deletedAt: 1 },
    });
    return docs.length;
  }

  /**
   * Who wrote the messages of a room with seq in (afterSeq, uptoSeq], with each message's id and seq, newest
   * first, at most `limit` (the newest ones): the senders a group receipt covering that range concerns.
   * For the receipts worker, which learns from a receipt that a member reached uptoSeq; no content is read.
   */
  async sendersBetween(
    roomId: string,
    afterSeq: number,
    uptoSeq: number,
    limit: number,
  ): Promise<Array<{ id: string; seq: number; senderId: string }>> {
    if (uptoSeq <= afterSeq) return [];
    const docs = await walkRoom(this.m, {
      roomId,
      above: afterSeq,
      below: uptoSeq + 1,
      top: uptoSeq,
      order: -1,
      limit,
      select: { _id: 1, senderId: 1 },
    });
    return docs.map((d) => ({ id: String(d._id), seq: d.seq, senderId: d.senderId }));
  }

  /** The scope user's mentions in a group, newest first (on FerretDB v1 a read of the whole room). */
  async mentioning(scope: RoomScope, limit: number): Promise<MessageDoc[]> {
    const since = scope.fromSeq > 0 ? { seq: trusted({ $gt: scope.fromSeq }) } : {};
    return this.m.Message.find({ roomId: scope.roomId, mentions: scope.userId, deletedAt: null, ...since })
      .sort({ seq: -1 })
      .limit(limit)
      .batchSize(limit)
      .lean<MessageDoc[]>();
  }
}
