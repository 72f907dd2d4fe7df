/** Longest excerpt of the answered message a reply carries, in characters. */
export const REPLY_EXCERPT_LENGTH = 100;

/** What a reply shows of the message it answers: its first characters, cut on a code point boundary. */
export function replyExcerpt(content: string): string {
  const points = Array.from(content);
  return points.length <= REPLY_EXCERPT_LENGTH ? content : points.slice(0, REPLY_EXCERPT_LENGTH).join('');
}

/** What the rule reads of the answered message. */
export interface ReplyTarget {
  roomId: string;
  seq?: number | null;
  deletedAt?: Date | string | null;
}

/**
 * A reply must answer a message of the same room that the sender can see (a group member sees messages
 * from when they joined, `fromSeq`) and that is not deleted.
 */
export function judgeReplyTarget(target: ReplyTarget | null | undefined, roomId: string, fromSeq = 0): string | null {
  if (!target || target.roomId !== roomId) return 'replyToId must name a message of this room';
  if (fromSeq > 0 && target.seq !== null && target.seq !== undefined && target.seq <= fromSeq)
    return 'replyToId must name a message of this room';
  if (target.deletedAt) return 'replyToId names a deleted message';
  return null;
}
