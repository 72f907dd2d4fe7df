import type { MessageView } from '@chat/contracts';
import type { Refusal } from './message-change';

/** What a blocked user is told, the same on every path a block refuses: it names no one and nothing else. */
export const BLOCKED: Refusal = Object.freeze({ code: 'BLOCKED', message: 'this user does not accept this from you' });

/** `blocks(a, b)`: whether a blocks b, as the caller knows it (an edge's cache, a partition owner's memory, the store). */
export type BlockView = (blockerId: string, blockedId: string) => boolean;

/**
 * Whether a message may reach its receiver: a one-to-one message not when the receiver blocks the sender.
 * A group message always may (the members who block its sender get it flagged, `flagBlockedSender`).
 * The edge judges with its cached view, the room's persistence worker again with its own, in the room's order.
 */
export function judgeSend(msg: { senderId: string; receiverId: string; groupId?: string | null }, blocks: BlockView): Refusal | null {
  if (msg.groupId) return null;
  return blocks(msg.receiverId, msg.senderId) ? BLOCKED : null;
}

/** Whether `blockerId` may block `blockedId` now, holding `count` blocks: not oneself, and at most `limit`. */
export function judgeBlock(blockerId: string, blockedId: string, count: number, alreadyBlocked: boolean, limit: number): Refusal | null {
  if (blockerId === blockedId) return { code: 'VALIDATION_FAILED', message: 'you cannot block yourself' };
  if (!alreadyBlocked && count >= limit) return { code: 'LIMIT_REACHED', message: `a user may block at most ${limit} users` };
  return null;
}

/** The message as a reader who blocks its sender sees it: flagged, so the client can hide or fold it. */
export function flagBlockedSender<T extends Pick<MessageView, 'senderId'>>(m: T, readerBlocks: ReadonlySet<string>): T {
  return readerBlocks.has(m.senderId) ? { ...m, blockedSender: true } : m;
}
