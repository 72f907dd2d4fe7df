import { Types, trusted } from 'mongoose';
import { isObjectId, pairKey } from '@chat/contracts';
import type { ConversationDoc, LastMessage, Models } from './models';
import { addMemberships, joinedSeqOf, roomsOf, type MemberRoom } from './membership';
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
    if (existing) {
      // repairs the rows if a crash fell between the insert below and them
      await addMemberships(this.m, String(existing._id), existing.participants, 'direct');
      return existing;
    }
    const now = new Date();
    try {
      const [doc] = await this.m.Conversation.insertMany(
        [{ key, kind: 'direct', participants: [a, b].sort(), lastSeq: 0, lastSeqBy: {}, sendersTracked: true, lastMessage: null, lastActivityAt: now, createdAt: now }],
        { lean: true },
      );
      await addMemberships(this.m, String((doc as { _id: unknown })._id), [a, b], 'direct');
      return doc as unknown as ConversationDoc;
    } catch (err) {
      if ((err as { code?: number }).code !== DUPLICATE_KEY) throw err;
      const raced = await this.m.Conversation.findOne({ key }).lean<ConversationDoc>();
      if (!raced) throw err;
      await addMemberships(this.m, String(raced._id), raced.participants, 'direct');
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
    // one-to-one rooms are seen whole; a group from when the user joined it
    const fromSeq = c.kind === 'group' ? await joinedSeqOf(this.m, roomId, userId) : 0;
    return makeScope(roomId, userId, c.participants, c.kind ?? 'direct', fromSeq);
  }

  /** The user's one-to-one conversations, most recent first (groups are listed by GroupStore). */
  async listForUser(userId: string, page: { limit: number; offset: number }): Promise<MemberRoom[]> {
    return roomsOf(this.m, userId, 'direct', page);
  }

  /**
   * The user's rooms that hold messages, with their scope, the seq of their last message to the user and
   * the seq of their last edit or delete (0: none).
   */
  async roomsWithMessages(userId: string): Promise<Array<{ scope: RoomScope; lastIncomingSeq: number; lastChangeSeq: number }>> {
    const docs = await roomsOf(this.m, userId, 'any', { withMessages: true, select: { lastSeq: 1, lastSeqBy: 1, sendersTracked: 1, lastChangeSeq: 1, participants: 1, kind: 1 } });
    return docs
      .filter((d) => d.participants.includes(userId))
      .map((d) => ({
        scope: makeScope(String(d._id), userId, d.participants, d.kind ?? 'direct', d.kind === 'group' ? d.joinedSeq : 0),
        lastIncomingSeq: lastIncomingSeq(d, userId),
        lastChangeSeq: d.lastChangeSeq ?? 0,
      }));
  }

  /**
   * Takes the room's next seq for an edit or delete (no message gets it) and records it as the room's last
   * change. Same single-writer rules and guard as reserveSeqs; the room's last message is left as it is.
   */
  async reserveChangeSeq(roomId: string, knownLastSeq?: number): Promise<number | null> {
    return this.reserve(
      roomId,
      knownLastSeq,
      async (from) =>
        (await this.m.Conversation.collection.updateOne({ _id: new Types.ObjectId(roomId), lastSeq: from }, { $set: { lastSeq: from + 1, lastChangeSeq: from + 1 } })).matchedCount === 1,
    );
  }

  /**
   * Reserves `count` consecutive seqs in the room and records its last message. Returns the first
   * reserved seq, or null when the room does not exist. A caller that knows the room's last seq (its only
   * writer remembers it) saves the read; a stale guess costs one read.
   * Only the persistence worker that owns the room's partition calls this (single active consumer), so
   * the room has one writer at a time: required on FerretDB v1, whose updates are read-modify-write
   * without isolation and lose concurrent increments; on MongoDB the $inc is atomic anyway.
   */
  async reserveSeqs(roomId: string, count: number, last: LastMessage, knownLastSeq?: number, senders?: readonly string[]): Promise<number | null> {
    return this.reserve(roomId, knownLastSeq, (from) => this.advanceSeq(roomId, from, count, last, senders));
  }

  /**
   * What both reservations share: the guarded write from the remembered seq, and on a stale or missing
   * one a read of the room's seq and the write from it. Returns the first seq taken (null: no such room).
   */
  private async reserve(roomId: string, knownLastSeq: number | undefined, advance: (from: number) => Promise<boolean>): Promise<number | null> {
    if (!Types.ObjectId.isValid(roomId)) return null;
    if (knownLastSeq !== undefined && (await advance(knownLastSeq))) return knownLastSeq + 1;
    const cur = await this.m.Conversation.findById(roomId).select({ lastSeq: 1 }).lean<Pick<ConversationDoc, 'lastSeq'>>();
    if (!cur) return null;
    if (!(await advance(cur.lastSeq))) throw new Error(`room ${roomId} changed under its writer; retrying`);
    return cur.lastSeq + 1;
  }

  /**
   * One write: the guard on the old value (and, whatever the store, the unique (roomId, seq) index on
   * messages) turns a second writer into an error and a retry instead of a duplicate seq.
   */
  private async advanceSeq(roomId: string, from: number, count: number, last: LastMessage, senders?: readonly string[]): Promise<boolean> {
    const lastSeq = from + count;
    // through the driver, not the model: this runs once per room per persistence batch, and mongoose's
    // casting of the update (the lastMessage subdocument is built as a document) took 506-670 us of CPU
    // per update against the driver's 263-357 us (README, "The hot writes skip mongoose"). Every value
    // here is already of its stored type (LastMessage).
    const lastMessage: LastMessage = { ...last, seq: lastSeq };
    const res = await this.m.Conversation.collection.updateOne(
      { _id: new Types.ObjectId(roomId), lastSeq: from },
      { $set: { lastSeq, lastActivityAt: lastMessage.createdAt, lastMessage, ...(senders ? lastSeqBySender(from, senders) : {}) } },
    );
    return res.matchedCount === 1;
  }

  /** Keeps the conversation's last-message summary in step with an edit or delete of that message. */
  async updateLastMessage(roomId: string, messageId: string, patch: { content: string | null; deleted?: boolean }): Promise<void> {
    const set: Record<string, unknown> = { 'lastMessage.content': patch.content };
    if (patch.deleted) set['lastMessage.deleted'] = true;
    await this.m.Conversation.updateOne({ _id: roomId, 'lastMessage.id': messageId }, { $set: set });
  }
}

/**
 * The `$set` that records each sender's last seq among the ones reserved from `from + 1` on, in the order
 * given. A sender id that cannot be a field name safely (never the case for ids from tokens, which are 24
 * hex) turns the room's map off for good instead: a missing entry would make readers skip the room.
 */
export function lastSeqBySender(from: number, senders: readonly string[]): Record<string, number | boolean> {
  const set: Record<string, number | boolean> = {};
  for (let i = 0; i < senders.length; i++) {
    if (!isObjectId(senders[i])) return { sendersTracked: false };
    set[`lastSeqBy.${senders[i]}`] = from + i + 1;
  }
  return set;
}

/**
 * The seq of the room's last message from anyone but the user: what the user can still have to receive.
 * From the per-sender map when the room has kept it since it was created, otherwise `lastSeq` (which may
 * be the user's own message: a caller then reads the room to find out).
 */
export function lastIncomingSeq(c: Pick<ConversationDoc, 'lastSeq' | 'lastSeqBy' | 'sendersTracked'>, userId: string): number {
  if (c.sendersTracked !== true || !c.lastSeqBy) return c.lastSeq;
  let max = 0;
  for (const [sender, seq] of Object.entries(c.lastSeqBy)) if (sender !== userId && seq > max) max = seq;
  return max;
}
