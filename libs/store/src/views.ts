import type { ConversationView, GroupView, MessageView, ReplyRef, TombstoneView } from '@chat/contracts';
import { reactionCounts, reactionsOf } from '@chat/domain';
import { statusFor } from './cursor-store';
import type { ConversationDoc, CursorDoc, MessageDoc } from './models';

const iso = (d: Date | null | undefined) => (d ? new Date(d).toISOString() : null);

/** A stored message as clients see it; `receiverCursor` (the receiver's cursor in the room) gives its status. */
export function toMessageView(m: MessageDoc, receiverCursor?: CursorDoc): MessageView {
  const status = statusFor(m.seq, receiverCursor);
  return {
    id: String(m._id),
    roomId: m.roomId,
    senderId: m.senderId,
    receiverId: m.receiverId,
    content: m.content,
    clientMsgId: m.clientMsgId ?? null,
    seq: m.seq,
    status,
    createdAt: iso(m.createdAt)!,
    editedAt: iso(m.editedAt),
    deletedAt: iso(m.deletedAt),
    // the time the receiver's cursor last moved past this message (per-room cursors, not per-message rows)
    deliveredAt: status !== 'sent' ? iso(receiverCursor?.deliveredAt) : null,
    readAt: status === 'read' ? iso(receiverCursor?.readAt) : null,
    ...(m.groupId ? { groupId: m.groupId, mentions: m.mentions ?? [] } : {}),
    ...(m.replyTo ? { replyTo: { id: m.replyTo.id, senderId: m.replyTo.senderId, excerpt: m.replyTo.excerpt ?? null } } : {}),
  };
}

/** The message's reactions as `viewerId` reads them: the count per emoji and the viewer's own. */
export function reactionView(m: Pick<MessageDoc, 'reactions'>, viewerId: string): Pick<MessageView, 'reactions' | 'myReactions'> {
  return { reactions: reactionCounts(m.reactions), myReactions: reactionsOf(m.reactions, viewerId) };
}

/** A reply whose answered message is gone (deleted, or no longer readable) shows a tombstone. */
export function replyTombstone(r: ReplyRef): ReplyRef {
  return { id: r.id, senderId: r.senderId, excerpt: null, deleted: true };
}

/** Group receipt counts for a message: the other members whose cursors passed its seq. */
export function groupCounts(m: Pick<MessageDoc, 'seq' | 'senderId'>, members: readonly string[], cursors: Map<string, CursorDoc>) {
  const others = members.filter((u) => u !== m.senderId);
  let delivered = 0;
  let read = 0;
  for (const u of others) {
    const c = cursors.get(u);
    if (c && c.deliveredSeq >= m.seq) delivered++;
    if (c && c.readSeq >= m.seq) read++;
  }
  return { delivered, read, of: others.length };
}

export function toGroupView(c: ConversationDoc): GroupView {
  return {
    id: String(c._id),
    name: c.name ?? '',
    createdBy: c.createdBy ?? '',
    members: [...c.participants],
    admins: [...(c.admins ?? [])],
    lastSeq: c.lastSeq,
    lastActivityAt: iso(c.lastActivityAt)!,
    createdAt: iso(c.createdAt)!,
  };
}

/** Deleted messages are served as tombstones: the content never leaves the store again. */
export function toHistoryView(m: MessageDoc, receiverCursor?: CursorDoc): MessageView | TombstoneView {
  if (m.deletedAt) {
    return {
      id: String(m._id),
      roomId: m.roomId,
      seq: m.seq,
      deleted: true,
      deletedAt: iso(m.deletedAt)!,
      ...(m.deletedBy ? { deletedBy: m.deletedBy } : {}),
    };
  }
  return toMessageView(m, receiverCursor);
}

export function toConversationView(c: ConversationDoc): ConversationView {
  return {
    id: String(c._id),
    participants: [...c.participants],
    lastSeq: c.lastSeq,
    lastActivityAt: iso(c.lastActivityAt)!,
    createdAt: iso(c.createdAt)!,
  };
}
