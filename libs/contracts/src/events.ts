import type { GroupOp } from './broker-contracts';
import type { ErrorBody } from './errors';
import type { ConversationView, GroupReceiptCounts, GroupView, MessageView } from './messages';

/**
 * Socket.IO namespace and event names: persistent contracts with existing clients. Adding a server event:
 * its name in ServerEvents, its payload in ServerPayloads (the compiler checks the two agree), and where it
 * is sent from, a constructor in delivery.ts (envelopes) or a row in the edge's event table (replies).
 */
export const CHAT_NAMESPACE_PATH = '/chat';

export const ClientEvents = {
  joinOrCreateRoom: 'join_or_create_room',
  sendMessage: 'send_message',
  editMessage: 'edit_message',
  deleteMessage: 'delete_message',
  messageDelivered: 'message_delivered',
  messageRead: 'message_read',
  sendGroupMessage: 'send_group_message',
  typing: 'typing',
  reactMessage: 'react_message',
} as const;

export type ClientEventName = (typeof ClientEvents)[keyof typeof ClientEvents];

export const ServerEvents = {
  joinRoomSuccess: 'join_room_success',
  messageSent: 'message_sent',
  receiveMessage: 'receive_message',
  editMessageStatus: 'edit_message_status',
  messageEdited: 'message_edited',
  deleteMessageStatus: 'delete_message_status',
  messageDeleted: 'message_deleted',
  messageReaction: 'message_reaction',
  reactMessageStatus: 'react_message_status',
  messageDeliveredAck: 'message_delivered_ack',
  messageDelivered: 'message_delivered',
  messageReadStatus: 'message_read_status',
  messageReadAck: 'message_read_ack',
  taggedInMessage: 'taggedInMessage',
  groupUpdated: 'group_updated',
  groupRemoved: 'removed_from_group',
  groupInvite: 'group_invite',
  groupError: 'group_error',
  groupReceipt: 'group_receipt',
  error: 'error_event',
  serverDraining: 'server_draining',
  typing: 'typing',
  presence: 'presence',
  messagePinned: 'message_pinned',
  messageUnpinned: 'message_unpinned',
  pinError: 'pin_error',
  syncGap: 'sync_gap',
  sendMessageStatus: 'send_message_status',
  messageRejected: 'message_rejected',
} as const;

export type ServerEventName = (typeof ServerEvents)[keyof typeof ServerEvents];

/** Events that are not stored nor parked: handed to sockets at once, outside the per-socket ordered delivery. */
export const EPHEMERAL_EVENTS: ReadonlySet<string> = new Set([ServerEvents.typing, ServerEvents.presence]);

/** Edge-to-edge events carried by the Redis adapter (fanout → every edge, which orders them per socket). */
export const InternalEvents = {
  deliver: 'internal:deliver:v1',
} as const;

export interface PinEvent {
  roomId: string;
  messageId: string;
  by: string;
}

/** Seqs of a room, both ends included, that a device may lack and was not sent (see ServerPayloads.sync_gap). */
export interface SyncGap {
  roomId: string;
  fromSeq: number;
  toSeq: number;
}

export interface TypingEvent {
  roomId: string;
  userId: string;
  isTyping: boolean;
}

/** `online: null` (and no lastSeenAt): not shown, because either side hides presence. */
export interface PresenceView {
  userId: string;
  online: boolean | null;
  lastSeenAt: string | null;
}

export interface MessagePayload {
  message: MessageView;
}

/** A refused request about a message: the id the client named (echoed as given), and why. */
export interface MessageRefused {
  messageId: unknown;
  roomId?: string;
  status: 'error';
  error?: ErrorBody['error'];
}

/** The message's state after an edit (`content` and `editedAt` as stored, null when never edited). */
export interface MessageEdited {
  messageId: string;
  roomId: string;
  groupId?: string;
  content?: string;
  editedAt?: string | null;
}

export interface MessageDeleted {
  messageId: string;
  roomId: string;
  groupId?: string;
  deletedAt?: string;
  /** Set when an operator deleted it (after a report); a sender's delete leaves it out. */
  deletedBy?: 'moderator';
}

/** The other participant's cursor moved: it has every message of the room up to `upToSeq`. */
export interface CursorMoved {
  messageId: string | null;
  roomId: string;
  upToSeq: number;
}

export interface GroupUpdated {
  groupId: string;
  op: GroupOp['op'];
  actorId: string;
  inviteId?: string;
  affected: string[];
  group?: GroupView | null;
  /** Create and add, to the actor only: the listed users invited instead of added (each gets group_invite). */
  invited?: Array<{ userId: string; inviteId: string }>;
}

export interface GroupReceipt {
  groupId: string;
  messageId: string;
  /** The member is counted in for each of the receiver's messages with seq in (fromSeq, upToSeq]. */
  fromSeq: number;
  upToSeq: number;
  kind: 'delivered' | 'read';
  by: string;
  at: string;
  counts: GroupReceiptCounts;
}

/** The answer to an accepted reaction: it applies in the room's order, then members get message_reaction. */
export interface ReactionAccepted {
  messageId: string;
  roomId: string;
  emoji: string;
  on: boolean;
  status: 'accepted';
}

/**
 * A reaction changed (live: `emoji`, `userId` and `on` say which) or, from the connect-time sync, the
 * message's reactions now (no `emoji`; `myReactions` gives the reader's own). `counts` is the whole count
 * per emoji after the change: a client replaces what it shows, so an event seen twice changes nothing
 * (they come in the room's order).
 */
export interface MessageReactionEvent {
  messageId: string;
  roomId: string;
  groupId?: string;
  emoji?: string;
  userId?: string;
  on?: boolean;
  counts: Record<string, number>;
  myReactions?: string[];
}

/** A message of yours that moderation turned down: never stored nor delivered (see docs/design.md#moderation). */
export interface MessageRejected {
  messageId: string;
  roomId: string;
  groupId?: string;
  clientMsgId: string | null;
  reason: string;
}

/** The payload of each server event: the one place a socket payload's shape is written down. */
export interface ServerPayloads {
  join_room_success: { roomId: string; conversation: ConversationView };
  message_sent: MessagePayload;
  receive_message: MessagePayload;
  edit_message_status: MessageRefused | ({ status: 'edited' } & MessageEdited);
  message_edited: MessageEdited;
  delete_message_status: MessageRefused | ({ status: 'deleted' } & MessageDeleted);
  message_deleted: MessageDeleted;
  message_reaction: MessageReactionEvent;
  /** Only a refusal by the room's worker: an accepted reaction is answered by the ack, then message_reaction. */
  react_message_status: MessageRefused & { emoji: string; on: boolean };
  message_delivered_ack: MessageRefused | { messageId: string; status: 'delivered' };
  message_delivered: CursorMoved & { deliveredBy: string; deliveredAt: string };
  message_read_status: MessageRefused | { messageId: string; status: 'read' };
  message_read_ack: CursorMoved & { readBy: string; readAt: string };
  taggedInMessage: MessagePayload;
  group_updated: GroupUpdated;
  removed_from_group: { groupId: string; by: string };
  group_invite: { inviteId?: string; groupId: string; name?: string; inviterId: string };
  group_error: { groupId: string; op: GroupOp['op']; inviteId?: string; error?: ErrorBody['error'] };
  group_receipt: GroupReceipt;
  error_event: ErrorBody;
  /** This edge is stopping: reconnect (to another edge, with `since`) after `reconnectAfterMs`; it closes the socket soon after. */
  server_draining: { reconnectAfterMs: number };
  /** Another member of the room started or stopped typing (a stop also comes TYPING_STOP_MS after the last start). */
  typing: TypingEvent;
  /** Someone who shares a room with you came online or went offline (not sent while either side hides presence). */
  presence: PresenceView;
  /** A member pinned or unpinned a message of the room (a delete also unpins; `by` is then the deleter). */
  message_pinned: PinEvent;
  message_unpinned: PinEvent;
  /** A pin or unpin accepted with 202 and then refused where it was applied in the room's order. */
  pin_error: { roomId: string; messageId: string; op: 'pin' | 'unpin'; error?: ErrorBody['error'] };
  /** The sync could not hand over everything the device lacks: fetch seqs fromSeq..toSeq with GET /chat/messages/:roomId?after=fromSeq-1. */
  sync_gap: SyncGap;
  /** A send acknowledged by the edge and then refused where it was to be stored (the receiver blocks the sender); nothing was stored. */
  send_message_status: MessageRefused & { clientMsgId: string | null };
  /** A message you sent was turned down by moderation: it is not stored and nobody else gets it. */
  message_rejected: MessageRejected;
}

/** Fails to compile when ServerEvents and ServerPayloads name different events. */
type Same<A, B> = [A] extends [B] ? ([B] extends [A] ? true : never) : never;
const serverEventsHavePayloads: Same<ServerEventName, keyof ServerPayloads> = true;
void serverEventsHavePayloads;

export type Ack<T extends object = object> = (res: ({ ok: true } & T) | ({ ok: false } & ErrorBody)) => void;

/** What each client event's ack answers (payloads are validated at the edge, so they arrive as unknown). */
export interface ClientAcks {
  join_or_create_room: { roomId: string; conversation: ConversationView };
  send_message: MessagePayload;
  send_group_message: MessagePayload;
  edit_message: { messageId: string; status: 'accepted' };
  delete_message: { messageId: string; status: 'accepted' };
  message_delivered: { messageId: string; status: 'delivered' };
  message_read: { messageId: string; status: 'read' };
  typing: object;
  react_message: ReactionAccepted;
}

const clientEventsHaveAcks: Same<ClientEventName, keyof ClientAcks> = true;
void clientEventsHaveAcks;

export type ClientToServerEvents = { [E in ClientEventName]: (payload: unknown, ack?: Ack<ClientAcks[E]>) => void };

/** A device acknowledges each message it is handed (the edge then records it delivered). */
export type ServerToClientEvents = { [E in Exclude<ServerEventName, 'receive_message'>]: (p: ServerPayloads[E]) => void } & {
  receive_message: (p: MessagePayload, ack: () => void) => void;
};
