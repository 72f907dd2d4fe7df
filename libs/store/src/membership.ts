import { trusted } from 'mongoose';
import { ONE_BATCH, type ConversationDoc, type Models } from './models';
import { lookupEach } from './lookup-each';
import { resolveSummaries } from './room-tail';

const DUPLICATE_KEY = 11000;
const rowId = (roomId: string, userId: string) => `${roomId}:${userId}`;

/**
 * Adds membership rows; rows that exist already are left as they are (inserts only: safe to repeat), so a
 * member keeps the `joinedSeq` of when it joined.
 */
export async function addMemberships(m: Models, roomId: string, userIds: string[], kind: 'direct' | 'group', joinedSeq = 0): Promise<void> {
  if (userIds.length === 0) return;
  try {
    await m.Membership.insertMany(
      userIds.map((userId) => ({ _id: rowId(roomId, userId), roomId, userId, kind, joinedSeq })),
      { ordered: false, lean: true },
    );
  } catch (err) {
    const writeErrors = (err as { writeErrors?: Array<{ code?: number; err?: { code?: number } }> }).writeErrors;
    if (!writeErrors || writeErrors.some((e) => (e.code ?? e.err?.code) !== DUPLICATE_KEY)) throw err;
  }
}

export async function removeMemberships(m: Models, roomId: string, userIds: string[]): Promise<void> {
  if (userIds.length === 0) return;
  await m.Membership.deleteMany({ _id: trusted({ $in: userIds.map((u) => rowId(roomId, u)) }) });
}

/** The seq from which the user sees a room (its membership row's joinedSeq; 0 without a row). */
export async function joinedSeqOf(m: Models, roomId: string, userId: string): Promise<number> {
  const row = await m.Membership.findById(rowId(roomId, userId)).select({ joinedSeq: 1 }).lean<{ joinedSeq?: number }>();
  return row?.joinedSeq ?? 0;
}

/** A room as one member sees it: the conversation, the seq the member joined at, and the member's mute. */
export type MemberRoom = ConversationDoc & { joinedSeq: number; muted?: boolean; mutedUntil?: Date | null };

/** The user's rooms of one kind, most recent activity first (optionally only rooms holding messages). */
export async function roomsOf(
  m: Models,
  userId: string,
  kind: 'direct' | 'group' | 'any',
  q: { limit?: number; offset?: number; withMessages?: boolean; select?: Record<string, 1> } = {},
): Promise<MemberRoom[]> {
  const rows = await m.Membership.find(kind === 'any' ? { userId } : { userId, kind })
    .select({ roomId: 1, joinedSeq: 1, muted: 1, mutedUntil: 1 })
    .batchSize(ONE_BATCH)
    .lean<Array<{ roomId: string; joinedSeq?: number; muted?: boolean; mutedUntil?: Date | null }>>();
  if (rows.length === 0) return [];
  // one _id lookup per room: FerretDB v1 answers `_id: { $in }` by reading every conversation (a scan that
  // grows with all users' rooms), an _id equality from its index; MongoDB answers either from the _id index
  const select = q.select
    ? { ...q.select, _id: 1, lastSeq: 1, lastActivityAt: 1, tailOpen: 1, lastMessage: 1, lastSeqBy: 1, sendersTracked: 1 }
    : undefined;
  const rooms = await lookupEach(rows, (r) => {
    const one = m.Conversation.findById(r.roomId);
    return (select ? one.select(select) : one).lean<ConversationDoc>();
  });
  // a room whose owner has an open tail may hold messages its summary does not count yet
  const found = q.withMessages ? rooms.filter((d) => d.lastSeq > 0 || (d.tailOpen !== undefined && d.tailOpen !== null)) : rooms;
  // ordered and paged here, after the open tails are applied: a tail moves a room's last activity
  const docs = await resolveSummaries(m, found);
  docs.sort(
    (a, b) => new Date(b.lastActivityAt).getTime() - new Date(a.lastActivityAt).getTime() || (String(b._id) < String(a._id) ? -1 : 1),
  );
  const page = docs.slice(q.offset ?? 0, q.limit ? (q.offset ?? 0) + q.limit : undefined);
  const byRoom = new Map(rows.map((r) => [r.roomId, r]));
  return page.map((d) => {
    const row = byRoom.get(String(d._id));
    return { ...d, joinedSeq: row?.joinedSeq ?? 0, muted: row?.muted === true, mutedUntil: row?.mutedUntil ?? null };
  });
}

/** Everyone who shares a room (one-to-one or group) with the user, the user left out. */
export async function contactsOf(m: Models, userId: string): Promise<Set<string>> {
  const rows = await m.Membership.find({ userId }).select({ roomId: 1 }).batchSize(ONE_BATCH).lean<Array<{ roomId: string }>>();
  const out = new Set<string>();
  if (rows.length === 0) return out;
  const rooms = await m.Conversation.find({ _id: trusted({ $in: rows.map((r) => r.roomId) }) })
    .select({ participants: 1 })
    .batchSize(ONE_BATCH)
    .lean<Array<Pick<ConversationDoc, 'participants'>>>();
  // a row written just before the group state that makes the user a member is left out, as in roomsOf
  for (const r of rooms) if (r.participants.includes(userId)) for (const p of r.participants) if (p !== userId) out.add(p);
  return out;
}
