import { Types } from 'mongoose';
import { isObjectId, pairKey } from '@chat/contracts';
import type { ConversationDoc, LastMessage, Models } from './models';
import { addMemberships, contactsOf, joinedSeqOf, roomsOf, type MemberRoom } from './membership';
import { makeScope, type RoomScope } from './scope';
import { headState, readTail, resolveSummary, tailIsOpen, type RoomHeadState } from './room-tail';
import type { SearchRoom } from './message-search';

/** What one summary write sets: the seq reached, the last message, the senders' last seqs since the previous write. */
export interface SummaryWrite {
  lastSeq: number;
  lastMessage?: LastMessage | null;
  lastChangeSeq?: number;
  senders?: ReadonlyMap<string, number>;
}

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
        [
          {
            key,
            kind: 'direct',
            participants: [a, b].sort(),
            lastSeq: 0,
            lastSeqBy: {},
            sendersTracked: true,
            lastMessage: null,
            lastActivityAt: now,
            createdAt: now,
          },
        ],
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

  /** The id of the one-to-one room of these two users, if they have one (read by its key; nothing is created). */
  async pairRoomId(a: string, b: string): Promise<string | null> {
    const doc = await this.m.Conversation.findOne({ key: pairKey(a, b) })
      .select({ _id: 1 })
      .lean<Pick<ConversationDoc, '_id'>>();
    return doc ? String(doc._id) : null;
  }

  /** The room; `withTail` applies an open tail to its summary (a read more, only while the tail is open). */
  async get(roomId: string, opts: { withTail?: boolean } = {}): Promise<ConversationDoc | null> {
    if (!Types.ObjectId.isValid(roomId)) return null;
    const doc = await this.m.Conversation.findById(roomId).lean<ConversationDoc>();
    return doc && opts.withTail ? resolveSummary(this.m, doc) : doc;
  }

  /** A scope if the user takes part in the room, otherwise null (callers answer 404 or 403). */
  async scopeFor(roomId: string, userId: string): Promise<RoomScope | null> {
    const c = await this.get(roomId);
    if (!c || !c.participants.includes(userId)) return null;
    // one-to-one rooms are seen whole; a group from when the user joined it
    const fromSeq = c.kind === 'group' ? await joinedSeqOf(this.m, roomId, userId) : 0;
    return makeScope(roomId, userId, c.participants, c.kind ?? 'direct', fromSeq);
  }

  /** Everyone who shares a room with the user (presence goes to them, and only they may ask for it). */
  contactsOf(userId: string): Promise<Set<string>> {
    return contactsOf(this.m, userId);
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
    // their summaries come with open tails applied (roomsOf), so lastIncomingSeq is where a read can stop
    const docs = await roomsOf(this.m, userId, 'any', {
      withMessages: true,
      select: { lastSeq: 1, lastSeqBy: 1, sendersTracked: 1, lastChangeSeq: 1, participants: 1, kind: 1 },
    });
    return docs
      .filter((d) => d.participants.includes(userId))
      .map((d) => ({
        scope: makeScope(String(d._id), userId, d.participants, d.kind ?? 'direct', d.kind === 'group' ? d.joinedSeq : 0),
        lastIncomingSeq: lastIncomingSeq(d, userId),
        lastChangeSeq: d.lastChangeSeq ?? 0,
      }));
  }

  /** The user's rooms that hold messages, as a search reads them (summaries with open tails applied). */
  async searchRooms(userId: string): Promise<SearchRoom[]> {
    const docs = await roomsOf(this.m, userId, 'any', {
      withMessages: true,
      select: { lastSeq: 1, participants: 1, kind: 1, lastActivityAt: 1 },
    });
    return docs
      .filter((d) => d.participants.includes(userId))
      .map((d) =>
        toSearchRoom(d, makeScope(String(d._id), userId, d.participants, d.kind ?? 'direct', d.kind === 'group' ? d.joinedSeq : 0)),
      );
  }

  /** The scope's room as a search reads it (null: gone). */
  async searchRoom(scope: RoomScope): Promise<SearchRoom | null> {
    const doc = await this.get(scope.roomId, { withTail: true });
    return doc ? toSearchRoom(doc, scope) : null;
  }

  /**
   * What the room's new owner needs: its kind and its summary with the tail applied, so lastSeq is the
   * room's true last seq whatever a previous owner stored before it died. Null: no such room.
   */
  async loadHead(roomId: string): Promise<RoomHeadState | null> {
    if (!Types.ObjectId.isValid(roomId)) return null;
    const doc = await this.m.Conversation.findById(roomId)
      .select({ kind: 1, lastSeq: 1, lastMessage: 1, lastChangeSeq: 1, tailOpen: 1 })
      .lean<ConversationDoc>();
    if (!doc) return null;
    // a previous owner's tail, when it left one open (it marks the tail open before storing past lastSeq)
    return headState(doc, doc.tailOpen ? await readTail(this.m, roomId, doc.lastSeq) : []);
  }

  /** Marks the room's tail open for `owner`, before it stores messages past the summary. */
  async openTail(roomId: string, owner: string): Promise<boolean> {
    return (
      (await this.m.Conversation.collection.updateOne({ _id: new Types.ObjectId(roomId) }, { $set: { tailOpen: owner } })).matchedCount ===
      1
    );
  }

  /**
   * Writes the owner's summary. Never moves lastSeq back (a stale owner's write matches nothing). With
   * `closeAs`, also closes the tail, only if that owner still holds it open: a newer owner's open tail stays.
   * Returns whether it was written.
   */
  async writeSummary(roomId: string, s: SummaryWrite, closeAs?: string): Promise<boolean> {
    const filter: Record<string, unknown> = { _id: new Types.ObjectId(roomId), lastSeq: { $lte: s.lastSeq } };
    if (closeAs) filter.tailOpen = closeAs;
    const set: Record<string, unknown> = { lastSeq: s.lastSeq };
    if (s.lastMessage) {
      set.lastMessage = s.lastMessage;
      set.lastActivityAt = s.lastMessage.createdAt;
    }
    if (s.lastChangeSeq !== undefined) set.lastChangeSeq = s.lastChangeSeq;
    if (s.senders) Object.assign(set, lastSeqBySender(s.senders));
    if (closeAs) set.tailOpen = null;
    // through the driver, not the model: every value is already of its stored type, and mongoose's casting
    // of the lastMessage subdocument cost more CPU than the driver's whole update
    return (await this.m.Conversation.collection.updateOne(filter, { $set: set })).matchedCount === 1;
  }

  /** Keeps the conversation's last-message summary in step with an edit or delete of that message. */
  async updateLastMessage(roomId: string, messageId: string, patch: { content: string | null; deleted?: boolean }): Promise<void> {
    const set: Record<string, unknown> = { 'lastMessage.content': patch.content };
    if (patch.deleted) set['lastMessage.deleted'] = true;
    await this.m.Conversation.updateOne({ _id: roomId, 'lastMessage.id': messageId }, { $set: set });
  }
}

/**
 * The `$set` that records each sender's last seq. A sender id that cannot be a field name safely (never
 * the case for ids from tokens, which are 24 hex) turns the room's map off for good instead: a missing entry
 * would make readers skip the room.
 */
export function lastSeqBySender(senders: ReadonlyMap<string, number>): Record<string, number | boolean> {
  const set: Record<string, number | boolean> = {};
  for (const [sender, seq] of senders) {
    if (!isObjectId(sender)) return { sendersTracked: false };
    set[`lastSeqBy.${sender}`] = seq;
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

function toSearchRoom(d: ConversationDoc, scope: RoomScope): SearchRoom {
  return { scope, lastSeq: d.lastSeq, tailOpen: tailIsOpen(d), lastActivityAt: d.lastActivityAt };
}
