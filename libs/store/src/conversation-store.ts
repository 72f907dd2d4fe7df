import { Types, trusted } from 'mongoose';
import { pairKey } from '@chat/contracts';
import type { ConversationDoc, LastMessage, Models } from './models';
import { makeScope, type RoomScope } from './scope';

const DUPLICATE_KEY = 11000;

export class ConversationStore {
  constructor(private readonly m: Models) {}

  /**
   * Creates the one-to-one conversation or returns the existing one; safe under concurrent calls.
   * Find, then insert guarded by the unique key: an existing conversation is never written here.
   */
  async findOrCreatePair(a: string, b: string): Promise<ConversationDoc> {
    const key = pairKey(a, b);
    const existing = await this.m.Conversation.findOne({ key }).lean<ConversationDoc>();
    if (existing) return existing;
    const now = new Date();
    try {
      const [doc] = await this.m.Conversation.insertMany(
        [{ key, kind: 'direct', participants: [a, b].sort(), lastSeq: 0, lastMessage: null, lastActivityAt: now, createdAt: now }],
        { lean: true },
      );
      return doc as unknown as ConversationDoc;
    } catch (err) {
      if ((err as { code?: number }).code !== DUPLICATE_KEY) throw err;
      const raced = await this.m.Conversation.findOne({ key }).lean<ConversationDoc>();
      if (!raced) throw err;
      return raced;
    }
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

  /** The user's rooms that hold messages, with their scope and last seq. */
  async roomsWithMessages(userId: string): Promise<Array<{ scope: RoomScope; lastSeq: number }>> {
    const docs = await this.m.Conversation.find({ participants: userId, lastSeq: trusted({ $gt: 0 }) })
      .select({ lastSeq: 1, participants: 1 })
      .lean<Array<Pick<ConversationDoc, '_id' | 'lastSeq' | 'participants'>>>();
    return docs.map((d) => ({ scope: makeScope(String(d._id), userId, d.participants), lastSeq: d.lastSeq }));
  }

  /**
   * Reserves `count` consecutive seqs in the room and records its last message. Returns the first
   * reserved seq, or null when the room does not exist.
   * Only the persistence worker that owns the room's partition calls this (single active consumer), so
   * the room has one writer at a time: required on FerretDB v1, whose updates are read-modify-write
   * without isolation and lose concurrent increments; on MongoDB the $inc is atomic anyway.
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

  /** Keeps the conversation's last-message summary in step with an edit or delete of that message. */
  async updateLastMessage(roomId: string, messageId: string, patch: { content: string | null; deleted?: boolean }): Promise<void> {
    const set: Record<string, unknown> = { 'lastMessage.content': patch.content };
    if (patch.deleted) set['lastMessage.deleted'] = true;
    await this.m.Conversation.updateOne({ _id: roomId, 'lastMessage.id': messageId }, { $set: set });
  }
}
