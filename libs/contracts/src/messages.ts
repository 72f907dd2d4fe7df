export type MessageStatus = 'sent' | 'delivered' | 'read';

/** A message as clients see it (REST and socket). */
export interface MessageView {
  id: string;
  roomId: string;
  senderId: string;
  receiverId: string;
  content: string;
  clientMsgId: string | null;
  /** Per-conversation, strictly increasing; null until the persistence worker has stored it. */
  seq: number | null;
  status: MessageStatus;
  createdAt: string;
  editedAt?: string | null;
  deletedAt?: string | null;
  deliveredAt?: string | null;
  readAt?: string | null;
  /** Group messages: the group (also in receiverId), the members mentioned, and receipt counts. */
  groupId?: string;
  mentions?: string[];
  receipts?: GroupReceiptCounts;
  /** Set when the message answers another of the same room. */
  replyTo?: ReplyRef;
  /** History (and the sync): how many reacted with each emoji, and the reader's own reactions. */
  reactions?: Record<string, number>;
  myReactions?: string[];
  /** Only to a reader who blocks the sender (group messages still reach them): the client may hide it. */
  blockedSender?: true;
}

/**
 * The message a reply answers, as it was when the reply was sent (`excerpt`: its first characters). Read
 * from history once the answered message is deleted: `excerpt: null, deleted: true`.
 */
export interface ReplyRef {
  id: string;
  senderId: string;
  excerpt: string | null;
  deleted?: true;
}

/** For a group message: how many of the other members have it delivered and read, of how many. */
export interface GroupReceiptCounts {
  delivered: number;
  read: number;
  of: number;
}

export type GroupRole = 'admin' | 'member';

export interface GroupView {
  id: string;
  name: string;
  createdBy: string;
  /** Member ids, oldest member first. */
  members: string[];
  admins: string[];
  lastSeq: number;
  lastActivityAt: string;
  createdAt: string;
}

export interface InviteView {
  id: string;
  groupId: string;
  inviterId: string;
  inviteeId: string;
  status: 'pending' | 'accepted' | 'declined';
  createdAt: string;
}

/** What history shows for a soft-deleted message: no content. */
export interface TombstoneView {
  id: string;
  roomId: string;
  seq: number;
  deleted: true;
  deletedAt: string;
  /** Set when an operator deleted it (after a report). */
  deletedBy?: 'moderator';
}

export interface ConversationView {
  id: string;
  participants: string[];
  lastSeq: number;
  lastActivityAt: string;
  createdAt: string;
}

/**
 * A message's path as its sender may see it (GET /chat/message/:messageId/trace): each stage null until it
 * happened (or when its record expired). Times are ISO strings from the clock of the process that saw the
 * stage. `exact: false`: the receiver's cursor passed the message in an earlier move than its last, so the
 * time is an upper bound (docs/design.md#delivery-trace).
 */
export interface MessageTrace {
  messageId: string;
  roomId: string;
  kind: 'direct' | 'group';
  accepted: { at: string; edge: string | null };
  stored: { at: string | null; seq: number } | null;
  fannedOut: DirectFanout | GroupFanout | null;
  delivered: ReceiptStage | GroupReceiptStage | null;
  read: ReceiptStage | GroupReceiptStage | null;
}

export type DirectFanout = { at: string; to: 'online'; edges: string[] } | { at: string; to: 'parked' };
/** A group message: to how many members live, through how many edges, and for how many parked. */
export interface GroupFanout {
  at: string;
  online: number;
  parked: number;
  edges: number;
}
export interface ReceiptStage {
  at: string | null;
  exact: boolean;
}
/** A group message: how many of the other members have it, as its receipts count them. */
export interface GroupReceiptStage {
  count: number;
  of: number;
}
