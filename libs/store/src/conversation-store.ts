import { Types, trusted } from 'mongoose';
import { pairKey } from '@chat/contracts';
import type { ConversationDoc, LastMessage, Models } from './models';
import { makeScope, type RoomScope } from './scope';

const DUPLICATE_KEY = 11000;

export class ConversationStore {
  constructor(private readonly m: Models) {}

  /** Creates the one-to-one conversation or returns the existing one; safe under concurrent calls. */
  async findOrCreatePair(a: string, b: string): Promise<ConversationDoc> {
    const key = pairKey(a, b);
    const now = new Date();
    for (let attempt = 0; attempt < 3; attempt++) {
      try {
        const doc = await this.m.Conversation.findOneAndUpdate(
          { key },
          {
            $setOnInsert: {
              key,
              participants: [a, b].sort(),
              lastSeq: 0,
              lastMessage: null,
              lastActivityAt: now,
              deliveredSeq: {},
              readSeq: {},
              createdAt: now,
            },
          },
          { upsert: true, new: true, lean: true },
        );
        if (doc) return doc as ConversationDoc;
      } catch (err) {
        if ((err as { code?: number }).code !== DUPLICATE_KEY) throw err;
      }
    }
    const existing = await this.m.Conversation.findOne({ key }).lean<ConversationDoc>();
    if (!existing) throw new Error('conversation upsert did not converge');
    return existing;
  }

  async get(roomId: string): Promise<ConversationDoc | null> {
    if (!Types.ObjectId.isValid(roomId)) return null;
    return this.m.Conversation.findById(roomId).lean<ConversationDoc>();
  }

  /** A scope if the user takes part in the room, otherwise null (callers answer 404 or 403). */
  async scopeFor(roomId: string, userId: string): Promise<RoomScope | null> {
    const c = await this.get(roomId);
    if (!c || !c.participants.includes(userId)) return null;
    return makeScope(roomId, userId, c.participants);
  }

  async listForUser(userId: string, page: { limit: number; offset: number }): Promise<ConversationDoc[]> {
    return this.m.Conversation.find({ participants: userId })
      .sort({ lastActivityAt: -1, _id: -1 })
      .skip(page.offset)
      .limit(page.limit)
      .lean<ConversationDoc[]>();
  }

  /** For each of the user's rooms with messages: its scope, the seq the user's devices acknowledged, and the last seq. */
  async syncState(userId: string): Promise<Array<{ scope: RoomScope; acked: number; lastSeq: number }>> {
    const docs = await this.m.Conversation.find({ participants: userId, lastSeq: trusted({ $gt: 0 }) })
      .select({ lastSeq: 1, deliveredSeq: 1, participants: 1 })
      .lean<Array<Pick<ConversationDoc, '_id' | 'lastSeq' | 'deliveredSeq' | 'participants'>>>();
    return docs.map((d) => ({
      scope: makeScope(String(d._id), userId, d.participants),
      acked: d.deliveredSeq?.[userId] ?? 0,
      lastSeq: d.lastSeq,
    }));
  }

  /**
   * Reserves `count` consecutive seqs in the room and records its last message, in one atomic
   * single-document update. Returns the first reserved seq, or null when the room does not exist.
   */
  async reserveSeqs(roomId: string, count: number, last: LastMessage): Promise<number | null> {
    if (!Types.ObjectId.isValid(roomId)) return null;
    const doc = await this.m.Conversation.findOneAndUpdate(
      { _id: roomId },
      { $inc: { lastSeq: count }, $set: { lastActivityAt: last.createdAt } },
      { new: true, lean: true },
    );
    if (!doc) return null;
    const lastSeq = (doc as ConversationDoc).lastSeq;
    // lastMessage needs its seq, known only now; the guard lets a later batch's write win
    await this.m.Conversation.updateOne({ _id: roomId, lastSeq }, { $set: { lastMessage: { ...last, seq: lastSeq } } });
    return lastSeq - count + 1;
  }

  /** Moves a user's acknowledged-seq cursor forward only; never backwards. */
  async advanceCursor(roomId: string, userId: string, kind: 'delivered' | 'read', seq: number): Promise<void> {
    const field = kind === 'delivered' ? `deliveredSeq.${userId}` : `readSeq.${userId}`;
    await this.m.Conversation.updateOne({ _id: roomId }, { $max: { [field]: seq } });
  }
}
