import type { ConversationView, MessageView, TombstoneView } from '@chat/contracts';
import type { ConversationDoc, MessageDoc } from './models';

const iso = (d: Date | null | undefined) => (d ? new Date(d).toISOString() : null);

export function toMessageView(m: MessageDoc): MessageView {
  return {
    id: String(m._id),
    roomId: m.roomId,
    senderId: m.senderId,
    receiverId: m.receiverId,
    content: m.content,
    clientMsgId: m.clientMsgId ?? null,
    seq: m.seq,
    status: m.status,
    createdAt: iso(m.createdAt)!,
    editedAt: iso(m.editedAt),
    deletedAt: iso(m.deletedAt),
    deliveredAt: iso(m.deliveredAt),
    readAt: iso(m.readAt),
  };
}

/** Deleted messages are served as tombstones: the content never leaves the store again. */
export function toHistoryView(m: MessageDoc): MessageView | TombstoneView {
  if (m.deletedAt) {
    return { id: String(m._id), roomId: m.roomId, seq: m.seq, deleted: true, deletedAt: iso(m.deletedAt)! };
  }
  return toMessageView(m);
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
