import type { ErrorCode } from './errors';
import type { GroupView, MessageView } from './messages';

/**
 * Broker names and payloads. Routing keys are versioned; queues are named <service>.<entity>.<action>.
 * Partitioned queues keep one conversation's commands and events in order through each stage.
 */
/** Partitions per stage unless PARTITIONS says otherwise (libs/config); every service must use the same. */
export const DEFAULT_PARTITIONS = 8;

export const RoutingKeys = {
  messageSend: 'message.send.v1',
  messageEdit: 'message.edit.v1',
  messageDelete: 'message.delete.v1',
  messageReact: 'message.react.v1',
  messagePersisted: 'message.persisted.v1',
  messageChanged: 'message.changed.v1',
  messageReacted: 'message.reacted.v1',
  receipt: 'message.receipt.v1',
  groupCommand: 'group.command.v1',
  groupChanged: 'group.changed.v1',
  messagePin: 'message.pin.v1',
  messageUnpin: 'message.unpin.v1',
  pinChanged: 'message.pin-changed.v1',
  userBlock: 'user.block.v1',
  messageReport: 'message.report.v1',
  messageModerate: 'message.moderate.v1',
  messageRefused: 'message.refused.v1',
  messageRejected: 'message.rejected.v1',
} as const;

/** Most messages pinned in one room at a time. */
export const MAX_PINS_PER_ROOM = 50;

/** Most users one user may block. */
export const MAX_BLOCKS_PER_USER = 1000;

export interface SendMessageCommand {
  type: typeof RoutingKeys.messageSend;
  correlationId: string;
  message: Omit<MessageView, 'seq' | 'status'>;
  /** The edge that accepted it (its delivery channel's id), kept in the message's trace record. */
  acceptedBy?: string;
}

export interface EditMessageCommand {
  type: typeof RoutingKeys.messageEdit;
  correlationId: string;
  messageId: string;
  roomId: string;
  actorId: string;
  content: string;
  /** When the edge accepted the edit: the edit window is judged at this time, not when a worker gets to it. */
  requestedAt: string;
}

export interface DeleteMessageCommand {
  type: typeof RoutingKeys.messageDelete;
  correlationId: string;
  messageId: string;
  roomId: string;
  actorId: string;
  requestedAt: string;
}

/** Pin or unpin a message of a room, applied in the room's order (after the message, before a later delete). */
export interface PinCommand {
  type: typeof RoutingKeys.messagePin | typeof RoutingKeys.messageUnpin;
  correlationId: string;
  roomId: string;
  messageId: string;
  actorId: string;
  requestedAt: string;
}

/** A reaction set (`on`) or taken back by a member of the message's room; applied in the room's order. */
export interface ReactMessageCommand {
  type: typeof RoutingKeys.messageReact;
  correlationId: string;
  messageId: string;
  roomId: string;
  actorId: string;
  emoji: string;
  on: boolean;
  requestedAt: string;
}

/**
 * A change to a group, judged and applied by the persistence worker that owns the group's partition.
 * `inviteIds` (create, add) holds one id per listed user, in the list's order: the invite's id if the worker
 * finds that user may not be added without consent (commands from before it existed get ids derived from
 * the command).
 */
export type GroupOp =
  | { op: 'create'; name: string; memberIds: string[]; inviteIds?: string[] }
  | { op: 'rename'; name: string }
  | { op: 'add'; userIds: string[]; inviteIds?: string[] }
  | { op: 'remove'; userId: string }
  | { op: 'promote'; userId: string }
  | { op: 'leave' }
  | { op: 'invite'; inviteId: string; userId: string }
  | { op: 'respond'; inviteId: string; accept: boolean };

export type GroupCommand = {
  type: typeof RoutingKeys.groupCommand;
  correlationId: string;
  groupId: string;
  actorId: string;
  requestedAt: string;
} & GroupOp;

/**
 * A block (`on`) or unblock of `blockedId` by `blockerId`, sent to their one-to-one room's partition once
 * the edge stored it: the room's persistence worker refuses the blocked user's sends from here on, in the
 * room's order (sends accepted before it and stored after it included).
 */
export interface BlockCommand {
  type: typeof RoutingKeys.userBlock;
  correlationId: string;
  roomId: string;
  blockerId: string;
  blockedId: string;
  on: boolean;
  requestedAt: string;
}

/** A member's report of a message, stored by the room's worker with a snapshot of the message as it is then. */
export interface ReportCommand {
  type: typeof RoutingKeys.messageReport;
  correlationId: string;
  reportId: string;
  roomId: string;
  messageId: string;
  reporterId: string;
  reason: string;
  requestedAt: string;
}

/**
 * An operator's decision on a report: `resolve` closes it and keeps the message; `delete` erases the
 * message (a tombstone with deletedBy 'moderator', told to every member) and closes every open report of it.
 */
export interface ModerateCommand {
  type: typeof RoutingKeys.messageModerate;
  correlationId: string;
  reportId: string;
  roomId: string;
  messageId: string;
  operatorId: string;
  action: 'resolve' | 'delete';
  requestedAt: string;
}

/** Everything the persistence worker applies, in a room's order. */
export type RoomCommand =
  | SendMessageCommand
  | EditMessageCommand
  | DeleteMessageCommand
  | ReactMessageCommand
  | GroupCommand
  | PinCommand
  | BlockCommand
  | ReportCommand
  | ModerateCommand;

/** The room a command belongs to (its partition): the one place it is read from a command. */
export function roomOfCommand(c: RoomCommand): string {
  return c.type === RoutingKeys.messageSend ? c.message.roomId : c.type === RoutingKeys.groupCommand ? c.groupId : c.roomId;
}

/** A send the room's worker refused (the receiver blocks the sender): only the sender is told. */
export interface MessageRefusedEvent {
  type: typeof RoutingKeys.messageRefused;
  correlationId: string;
  messageId: string;
  roomId: string;
  senderId: string;
  clientMsgId: string | null;
  error: { code: ErrorCode; message: string };
}

export interface MessagePersistedEvent {
  type: typeof RoutingKeys.messagePersisted;
  correlationId: string;
  message: MessageView;
  /** true when this event repeats a message stored earlier (a redelivery or a resend). */
  replay: boolean;
  /** When the persistence worker stored it (absent on a replay: the first fan-out recorded it). */
  storedAt?: string;
  /** The edge that accepted it, from the send command, for the trace record. */
  acceptedBy?: string;
}

/**
 * A message the moderation hook (or, while it cannot answer, MODERATION_FAILURE=closed) turned down: it was
 * not stored, took no seq, and only its sender's devices hear of it.
 */
export interface MessageRejectedEvent {
  type: typeof RoutingKeys.messageRejected;
  correlationId: string;
  messageId: string;
  roomId: string;
  senderId: string;
  clientMsgId: string | null;
  groupId?: string;
  reason: string;
  /** true when the verdict was stored earlier (a redelivery or a resend): the same answer again. */
  replay: boolean;
}

/** The outcome of an edit or a delete, for the actor and the other participant. */
export interface MessageChangedEvent {
  type: typeof RoutingKeys.messageChanged;
  correlationId: string;
  change: 'edited' | 'deleted';
  messageId: string;
  roomId: string;
  actorId: string;
  /** The other participant (null when the change was refused: only the actor hears of it, or for a group). */
  peerId: string | null;
  /** Set for a group message: every member but the actor is told. */
  groupId?: string;
  outcome: 'applied' | 'refused';
  content?: string;
  editedAt?: string;
  deletedAt?: string;
  /** A delete that took the message off the room's pins: the audience also gets message_unpinned. */
  unpinned?: boolean;
  /** An operator's delete: every member is told (the sender too), nobody gets a status reply. */
  deletedBy?: 'moderator';
  /** The message's sender (an operator's delete tells the sender as well). */
  senderId?: string;
  error?: { code: ErrorCode; message: string };
}

/** The outcome of a pin or unpin: the room's members hear of an applied one, the actor alone of a refusal. */
export interface PinChangedEvent {
  type: typeof RoutingKeys.pinChanged;
  correlationId: string;
  change: 'pinned' | 'unpinned';
  roomId: string;
  messageId: string;
  actorId: string;
  outcome: 'applied' | 'refused';
  /** The room's members when it was applied (empty when refused). */
  members: string[];
  error?: { code: ErrorCode; message: string };
}

/** The outcome of a reaction: every member of the room hears of an applied one, only the actor of a refused one. */
export interface MessageReactedEvent {
  type: typeof RoutingKeys.messageReacted;
  correlationId: string;
  messageId: string;
  roomId: string;
  actorId: string;
  emoji: string;
  on: boolean;
  outcome: 'applied' | 'refused';
  /** A one-to-one message's sender and receiver; empty for a group message (fanout reads the members). */
  audience: string[];
  groupId?: string;
  /** Applied: the count per emoji after the change. */
  counts?: Record<string, number>;
  error?: { code: ErrorCode; message: string };
}

/** The outcome of a group command: who must hear of it and the group as it now is. */
export interface GroupChangedEvent {
  type: typeof RoutingKeys.groupChanged;
  correlationId: string;
  groupId: string;
  actorId: string;
  op: GroupOp['op'];
  outcome: 'applied' | 'refused';
  group: GroupView | null;
  /** Users added, removed, promoted, invited or leaving, as the op says. */
  affected: string[];
  /** Members before the change (so a removed member hears of the removal). */
  previousMembers: string[];
  inviteId?: string;
  /** Create and add: the listed users who were invited instead of added (see groupAddsDirectly). */
  invited?: Array<{ userId: string; inviteId: string }>;
  error?: { code: ErrorCode; message: string };
}

export type FanoutEvent =
  | MessagePersistedEvent
  | MessageChangedEvent
  | MessageReactedEvent
  | GroupChangedEvent
  | PinChangedEvent
  | MessageRefusedEvent
  | MessageRejectedEvent;

export interface ReceiptCommand {
  type: typeof RoutingKeys.receipt;
  correlationId: string;
  kind: 'delivered' | 'read';
  userId: string;
  roomId: string;
  messageIds: string[];
  /** Highest seq the receipt covers: receipts are cumulative per room (reading seq n reads all before it). */
  upToSeq?: number;
  /** Who is told when the cursor moves: the other participant (the senders of those messages). */
  notifyUserId?: string;
  /**
   * Group receipts: each member who wrote a message the move passed is told once, with the counts of its
   * last one there (the receipts worker reads who wrote them; notifyUserId is not used).
   */
  group?: boolean;
  at: string;
}

export type BrokerPayload = RoomCommand | FanoutEvent | ReceiptCommand;
