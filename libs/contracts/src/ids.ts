import { createHash, randomBytes } from 'node:crypto';

export const OBJECT_ID_RE = /^[0-9a-f]{24}$/;

export function isObjectId(v: unknown): v is string {
  return typeof v === 'string' && OBJECT_ID_RE.test(v);
}

/**
 * The message id is derived from (sender, clientMsgId) so that a resend, on any edge, carries the same id
 * and every later stage de-duplicates it without a lookup. Without a clientMsgId the id is random.
 */
export function messageIdFor(senderId: string, clientMsgId: string | undefined): string {
  if (!clientMsgId) return randomBytes(12).toString('hex');
  return createHash('sha256').update(`${senderId}\u0000${clientMsgId}`).digest('hex').slice(0, 24);
}

/** Stable partition of a conversation: every message of one room goes through one ordered queue. */
export function partitionOf(roomId: string, partitions: number): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < roomId.length; i++) {
    h ^= roomId.charCodeAt(i);
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h % partitions;
}

/** A canonical key for a one-to-one pair, whichever side asks first. */
export function pairKey(a: string, b: string): string {
  return a < b ? `${a}:${b}` : `${b}:${a}`;
}

/**
 * A new id for something the edge creates through the broker (a group, an invite). Like a MongoDB
 * ObjectId it starts with the second it was made, so a later lookup that misses can tell "written a
 * moment ago, still on its way through the queue" from "never existed" without asking anyone.
 */
export function newTimedId(now: number = Date.now()): string {
  const secs = Math.floor(now / 1000)
    .toString(16)
    .padStart(8, '0')
    .slice(-8);
  return secs + randomBytes(8).toString('hex');
}

/** Milliseconds since the id was made, per its leading timestamp (ObjectId layout); Infinity if in the future by more than a clock skew. */
export function idAgeMs(id: string, now: number = Date.now()): number {
  if (!OBJECT_ID_RE.test(id)) return Infinity;
  const age = now - parseInt(id.slice(0, 8), 16) * 1000;
  return age < -5_000 ? Infinity : Math.max(0, age);
}
