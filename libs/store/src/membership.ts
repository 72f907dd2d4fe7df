import { trusted } from 'mongoose';
import { ONE_BATCH, type ConversationDoc, type Models } from './models';

const DUPLICATE_KEY = 11000;
const rowId = (roomId: string, userId: string) => `${roomId}:${userId}`;

/** Adds membership rows; rows that exist already are left as they are (inserts only: safe to repeat). */
export async function addMemberships(m: Models, roomId: string, userIds: string[], kind: 'direct' | 'group'): Promise<void> {
  if (userIds.length === 0) return;
  try {
    await m.Membership.insertMany(
      userIds.map((userId) => ({ _id: rowId(roomId, userId), roomId, userId, kind })),
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

/** The user's rooms of one kind, most recent activity first (optionally only rooms holding messages). */
export async function roomsOf(
  m: Models,
  userId: string,
  kind: 'direct' | 'group' | 'any',
  q: { limit?: number; offset?: number; withMessages?: boolean; select?: Record<string, 1> } = {},
): Promise<ConversationDoc[]> {
  const rows = await m.Membership.find(kind === 'any' ? { userId } : { userId, kind }).select({ roomId: 1 }).batchSize(ONE_BATCH).lean<Array<{ roomId: string }>>();
  if (rows.length === 0) return [];
  const filter: Record<string, unknown> = { _id: trusted({ $in: rows.map((r) => r.roomId) }) };
  if (q.withMessages) filter.lastSeq = trusted({ $gt: 0 });
  let query = m.Conversation.find(filter).sort({ lastActivityAt: -1, _id: -1 }).batchSize(ONE_BATCH);
  if (q.select) query = query.select(q.select);
  if (q.offset) query = query.skip(q.offset);
  if (q.limit) query = query.limit(q.limit);
  return query.lean<ConversationDoc[]>();
}
