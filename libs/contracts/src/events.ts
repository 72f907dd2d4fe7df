import type { ErrorBody } from './errors';
import type { ConversationView, MessageView } from './messages';

/** Socket.IO namespace and event names: persistent contracts with existing clients. */
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
} as const;

export const ServerEvents = {
  joinRoomSuccess: 'join_room_success',
  messageSent: 'message_sent',
  receiveMessage: 'receive_message',
  editMessageStatus: 'edit_message_status',
  messageEdited: 'message_edited',
  deleteMessageStatus: 'delete_message_status',
  messageDeleted: 'message_deleted',
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
} as const;

/** Events that are not stored nor parked: handed to sockets at once, outside the per-socket message gate. */
export const EPHEMERAL_EVENTS: ReadonlySet<string> = new Set([ServerEvents.typing, ServerEvents.presence]);

export type ServerEventName = (typeof ServerEvents)[keyof typeof ServerEvents];

/** Edge-to-edge events carried by the Redis adapter (fanout → every edge, which gates per socket). */
export const InternalEvents = {
  deliver: 'internal:deliver:v1',
} as const;

export type Ack<T extends object = object> = (res: ({ ok: true } & T) | ({ ok: false } & ErrorBody)) => void;

export interface ClientToServerEvents {
  join_or_create_room: (payload: unknown, ack?: Ack<{ roomId: string; conversation: ConversationView }>) => void;
  send_message: (payload: unknown, ack?: Ack<{ message: MessageView }>) => void;
  edit_message: (payload: unknown, ack?: Ack<{ messageId: string; status: 'accepted' }>) => void;
  delete_message: (payload: unknown, ack?: Ack<{ messageId: string; status: 'accepted' }>) => void;
  message_delivered: (payload: unknown, ack?: Ack<{ messageId: string; status: 'delivered' }>) => void;
  message_read: (payload: unknown, ack?: Ack<{ messageId: string; status: 'read' }>) => void;
  typing: (payload: unknown, ack?: Ack) => void;
}

export interface ServerToClientEvents {
  join_room_success: (p: { roomId: string; conversation: ConversationView }) => void;
  message_sent: (p: { message: MessageView }) => void;
  receive_message: (p: { message: MessageView }, ack?: () => void) => void;
  error_event: (p: ErrorBody) => void;
  /** This edge is stopping: reconnect (to another edge, with `since`) after `reconnectAfterMs`; it closes the socket soon after. */
  server_draining: (p: { reconnectAfterMs: number }) => void;
  /** Another member of the room started or stopped typing (a stop also comes TYPING_STOP_MS after the last start). */
  typing: (p: TypingEvent) => void;
  /** Someone who shares a room with you came online or went offline (not sent while either side hides presence). */
  presence: (p: PresenceView) => void;
  /** A member pinned or unpinned a message of the room (a delete also unpins; `by` is then the deleter). */
  message_pinned: (p: PinEvent) => void;
  message_unpinned: (p: PinEvent) => void;
  /** A pin or unpin accepted with 202 and then refused where it was applied in the room's order. */
  pin_error: (p: { roomId: string; messageId: string; op: 'pin' | 'unpin' } & ErrorBody) => void;
  /** The sync could not hand over everything the device lacks: fetch seqs fromSeq..toSeq with GET /chat/messages/:roomId?after=fromSeq-1. */
  sync_gap: (p: SyncGap) => void;
}

export interface PinEvent {
  roomId: string;
  messageId: string;
  by: string;
}

/** Seqs of a room, both ends included, that a device may lack and was not sent (see ServerToClientEvents.sync_gap). */
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

/**
 * One event for one user (`userId`) or for many (`userIds`: a group message, sent through Redis once and
 * fanned out by each edge to its own sockets), handed by a worker to whichever edges hold those sockets.
 * `receive_message` envelopes are gated per socket by (roomId, seq): in order, never twice.
 */
export interface DeliveryEnvelope {
  userId?: string;
  userIds?: string[];
  event: ServerEventName;
  payload: object;
  /** The id of the request that caused this event, for logs: one grep follows a message end to end. */
  correlationId?: string;
}

export function recipientsOf(env: DeliveryEnvelope): string[] {
  return env.userIds ?? (env.userId ? [env.userId] : []);
}

/** Events between servers (Socket.IO serverSideEmit through the Redis adapter). */
export interface InterServerEvents {
  'internal:deliver:v1': (envelopes: DeliveryEnvelope[]) => void;
}
