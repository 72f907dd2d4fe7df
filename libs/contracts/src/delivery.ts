import {
  ServerEvents,
  type MessageDeleted,
  type MessageEdited,
  type MessageReactionEvent,
  type ServerEventName,
  type ServerPayloads,
} from './events';

/** One server event with its payload, as a socket is handed it. */
export type ServerEmit<E extends ServerEventName = ServerEventName> = { [K in E]: { event: K; payload: ServerPayloads[K] } }[E];

/** Who a delivery is for: one user (`userId`), or many (`userIds`: one copy through Redis, fanned out per edge). */
export interface Recipients {
  userId?: string;
  userIds?: string[];
}

/**
 * One event for one user or for many, handed by a worker to whichever edges hold those sockets; a union
 * keyed by `event`, so each event carries its own payload type. `receive_message` envelopes are ordered
 * per socket by (roomId, seq): in order, never twice.
 */
export type DeliveryEnvelope<E extends ServerEventName = ServerEventName> = ServerEmit<E> &
  Recipients & {
    /** The id of the request that caused this event, for logs: one grep follows a message end to end. */
    correlationId?: string;
  };

/** An envelope of `event` for `to`. */
export function envelope<E extends ServerEventName>(
  to: Recipients,
  event: E,
  payload: ServerPayloads[E],
  correlationId?: string,
): DeliveryEnvelope<E> {
  return { ...to, event, payload, ...(correlationId !== undefined ? { correlationId } : {}) };
}

export function recipientsOf(env: Recipients): string[] {
  return env.userIds ?? (env.userId ? [env.userId] : []);
}

/** The event an envelope carries, without its recipients. */
export function emitOf<E extends ServerEventName>(env: DeliveryEnvelope<E>): ServerEmit<E> {
  return { event: env.event, payload: env.payload };
}

/** The same event addressed to one user (its correlation id left behind). */
export function readdressed<E extends ServerEventName>(env: DeliveryEnvelope<E>, userId: string): DeliveryEnvelope<E> {
  return { event: env.event, payload: env.payload, userId };
}

/** What the other participants are told of an applied edit or delete. */
export type ChangeNotice = ServerEmit<typeof ServerEvents.messageEdited | typeof ServerEvents.messageDeleted>;

/** A message's state after an applied edit or delete. */
export type MessageChange =
  { change: 'edited'; content?: string; editedAt?: string | null } | { change: 'deleted'; deletedAt?: string; deletedBy?: 'moderator' };

/**
 * What the other participants see of a change (message_edited / message_deleted): built the same way live
 * (fanout) and when a catch-up reads the change from the store (the edge), so both look alike.
 */
export function changeNotice(m: { messageId: string; roomId: string; groupId?: string | null }, c: MessageChange): ChangeNotice {
  const base = { messageId: m.messageId, roomId: m.roomId, ...(m.groupId ? { groupId: m.groupId } : {}) };
  if (c.change === 'deleted')
    return {
      event: ServerEvents.messageDeleted,
      payload: { ...base, deletedAt: c.deletedAt, ...(c.deletedBy ? { deletedBy: c.deletedBy } : {}) } satisfies MessageDeleted,
    };
  return { event: ServerEvents.messageEdited, payload: { ...base, content: c.content, editedAt: c.editedAt } satisfies MessageEdited };
}

/** The actor's answer to an applied edit or delete (edit_message_status / delete_message_status). */
export function changeStatus(
  m: { messageId: string; roomId: string },
  c: MessageChange,
): ServerEmit<typeof ServerEvents.editMessageStatus | typeof ServerEvents.deleteMessageStatus> {
  const base = { messageId: m.messageId, roomId: m.roomId };
  if (c.change === 'deleted')
    return { event: ServerEvents.deleteMessageStatus, payload: { ...base, status: 'deleted', deletedAt: c.deletedAt } };
  return { event: ServerEvents.editMessageStatus, payload: { ...base, status: 'edited', content: c.content, editedAt: c.editedAt } };
}

/** What members see of a message's reactions (message_reaction). */
export type ReactionNotice = ServerEmit<typeof ServerEvents.messageReaction>;

/**
 * message_reaction, built the same way live (fanout: one change, `emoji`, `userId`, `on`) and when a
 * catch-up reads the message's reactions from the store (the edge: the counts and the reader's own).
 */
export function reactionNotice(
  m: { messageId: string; roomId: string; groupId?: string | null },
  r: Omit<MessageReactionEvent, 'messageId' | 'roomId' | 'groupId'>,
): ReactionNotice {
  return {
    event: ServerEvents.messageReaction,
    payload: { messageId: m.messageId, roomId: m.roomId, ...(m.groupId ? { groupId: m.groupId } : {}), ...r },
  };
}

/** Events between servers (Socket.IO serverSideEmit through the Redis adapter). */
export interface InterServerEvents {
  'internal:deliver:v1': (envelopes: DeliveryEnvelope[]) => void;
}
