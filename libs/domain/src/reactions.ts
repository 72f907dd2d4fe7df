import { isReactionEmoji, type ReactMessageCommand } from '@chat/contracts';
import type { Refusal } from './message-change';

/** Distinct emoji one message may carry: a 21st is refused with LIMIT_REACHED. */
export const MAX_REACTION_KINDS = 20;

/** One emoji on a message and who reacted with it, oldest first; emoji in the order they were first used. */
export interface ReactionEntry {
  emoji: string;
  userIds: string[];
}

/** What the rule reads of a stored message. */
export interface ReactableMessage {
  roomId: string;
  senderId: string;
  receiverId: string;
  groupId?: string | null;
  deletedAt?: Date | string | null;
  reactions?: readonly ReactionEntry[] | null;
}

export type ReactionCommand = Pick<ReactMessageCommand, 'roomId' | 'actorId' | 'emoji' | 'on'>;

/**
 * Who may react: a member of the message's room (both sides of a one-to-one message; a group's current
 * members), only while the message is not deleted, and a new emoji only while fewer than
 * MAX_REACTION_KINDS are on it. Setting a reaction one has, or taking back one one has not, is allowed and
 * changes nothing (a redelivered command must not report failure).
 */
export function judgeReaction(
  msg: ReactableMessage | null | undefined,
  cmd: ReactionCommand,
  groupMembers: readonly string[] = [],
): Refusal | null {
  if (!isReactionEmoji(cmd.emoji)) return { code: 'VALIDATION_FAILED', message: 'emoji must be 1-16 characters' };
  if (!msg || msg.roomId !== cmd.roomId) return { code: 'NOT_FOUND', message: 'message not found' };
  const members = msg.groupId ? groupMembers : [msg.senderId, msg.receiverId];
  if (!members.includes(cmd.actorId)) return { code: 'NOT_FOUND', message: 'message not found' };
  if (msg.deletedAt) return { code: 'CONFLICT', message: 'a deleted message cannot be reacted to' };
  const list = msg.reactions ?? [];
  if (cmd.on && !list.some((r) => r.emoji === cmd.emoji) && list.length >= MAX_REACTION_KINDS)
    return { code: 'LIMIT_REACHED', message: `a message carries at most ${MAX_REACTION_KINDS} different reactions` };
  return null;
}

/** The reactions after the user set (`on`) or took back `emoji`; an emoji nobody reacts with any more is dropped. */
export function applyReaction(
  list: readonly ReactionEntry[] | null | undefined,
  userId: string,
  emoji: string,
  on: boolean,
): ReactionEntry[] {
  const out = (list ?? []).map((r) => ({ emoji: r.emoji, userIds: [...r.userIds] }));
  const entry = out.find((r) => r.emoji === emoji);
  if (on) {
    if (!entry) out.push({ emoji, userIds: [userId] });
    else if (!entry.userIds.includes(userId)) entry.userIds.push(userId);
    return out;
  }
  if (!entry) return out;
  entry.userIds = entry.userIds.filter((u) => u !== userId);
  return out.filter((r) => r.userIds.length > 0);
}

/** How many reacted with each emoji (an own-property map: an emoji such as "__proto__" is just a key). */
export function reactionCounts(list: readonly ReactionEntry[] | null | undefined): Record<string, number> {
  return Object.fromEntries((list ?? []).map((r) => [r.emoji, r.userIds.length]));
}

/** The emoji this user reacted with. */
export function reactionsOf(list: readonly ReactionEntry[] | null | undefined, userId: string): string[] {
  return (list ?? []).filter((r) => r.userIds.includes(userId)).map((r) => r.emoji);
}
