import { Invalid } from './errors';
import { isObjectId } from './ids';
import {
  RoutingKeys,
  type BlockCommand,
  type DeleteMessageCommand,
  type EditMessageCommand,
  type FanoutEvent,
  type GroupChangedEvent,
  type GroupCommand,
  type MessageChangedEvent,
  type MessagePersistedEvent,
  type MessageRejectedEvent,
  type PinChangedEvent,
  type PinCommand,
  type MessageReactedEvent,
  type MessageRefusedEvent,
  type ModerateCommand,
  type ReactMessageCommand,
  type ReportCommand,
  type ReceiptCommand,
  type RoomCommand,
  type SendMessageCommand,
} from './broker-contracts';
import { isReactionEmoji, MAX_REPORT_REASON } from './dto';
import type { MessageView, ReplyRef } from './messages';

/** Runtime checks of broker payloads: workers trust nothing they did not validate themselves. */
function obj(v: unknown, what: string): Record<string, unknown> {
  if (v === null || typeof v !== 'object' || Array.isArray(v)) throw new Invalid(`${what} must be an object`);
  return v as Record<string, unknown>;
}
function str(v: unknown, what: string): string {
  if (typeof v !== 'string') throw new Invalid(`${what} must be a string`);
  return v;
}
/** The command's correlation id for logs: ours are strings; anything else reads as none. */
function correlationOf(c: Record<string, unknown>): string {
  return typeof c.correlationId === 'string' ? c.correlationId : '';
}

function id(v: unknown, what: string): string {
  if (!isObjectId(v)) throw new Invalid(`${what} must be an id`);
  return v;
}

function messageCore(raw: unknown): Omit<MessageView, 'seq' | 'status'> & Partial<Pick<MessageView, 'seq' | 'status'>> {
  const m = obj(raw, 'message');
  const createdAt = str(m.createdAt, 'message.createdAt');
  if (Number.isNaN(Date.parse(createdAt))) throw new Invalid('message.createdAt must be a date');
  return {
    ...(m as unknown as MessageView),
    id: id(m.id, 'message.id'),
    roomId: id(m.roomId, 'message.roomId'),
    senderId: id(m.senderId, 'message.senderId'),
    receiverId: id(m.receiverId, 'message.receiverId'),
    content: str(m.content, 'message.content'),
    clientMsgId: m.clientMsgId === null || m.clientMsgId === undefined ? null : str(m.clientMsgId, 'message.clientMsgId'),
    createdAt,
    ...(m.groupId !== undefined ? { groupId: id(m.groupId, 'message.groupId') } : {}),
    ...(m.mentions !== undefined ? { mentions: ids(m.mentions, 'message.mentions', 100) } : {}),
    ...(m.replyTo !== undefined ? { replyTo: replyRef(m.replyTo) } : {}),
  };
}

function replyRef(raw: unknown): ReplyRef {
  const r = obj(raw, 'message.replyTo');
  const excerpt = r.excerpt === null ? null : str(r.excerpt, 'message.replyTo.excerpt');
  return {
    id: id(r.id, 'message.replyTo.id'),
    senderId: id(r.senderId, 'message.replyTo.senderId'),
    excerpt,
    ...(r.deleted === true ? { deleted: true as const } : {}),
  };
}

function emoji(v: unknown): string {
  if (!isReactionEmoji(v)) throw new Invalid('emoji must be a short string');
  return v;
}

function reactCommand(c: Record<string, unknown>): ReactMessageCommand {
  if (typeof c.on !== 'boolean') throw new Invalid('on must be a boolean');
  return {
    type: RoutingKeys.messageReact,
    correlationId: correlationOf(c),
    messageId: id(c.messageId, 'messageId'),
    roomId: id(c.roomId, 'roomId'),
    actorId: id(c.actorId, 'actorId'),
    emoji: emoji(c.emoji),
    on: c.on,
    requestedAt: date(c.requestedAt, 'requestedAt'),
  };
}

function reactedEvent(c: Record<string, unknown>): MessageReactedEvent {
  if (c.outcome !== 'applied' && c.outcome !== 'refused') throw new Invalid('outcome must be applied or refused');
  if (typeof c.on !== 'boolean') throw new Invalid('on must be a boolean');
  return {
    ...(c as unknown as MessageReactedEvent),
    type: RoutingKeys.messageReacted,
    correlationId: correlationOf(c),
    messageId: id(c.messageId, 'messageId'),
    roomId: id(c.roomId, 'roomId'),
    actorId: id(c.actorId, 'actorId'),
    emoji: emoji(c.emoji),
    on: c.on,
    audience: ids(c.audience, 'audience', 2),
    ...(c.groupId !== undefined ? { groupId: id(c.groupId, 'groupId') } : {}),
    ...(c.counts !== undefined ? { counts: obj(c.counts, 'counts') as Record<string, number> } : {}),
  };
}

export function decodeSendCommand(raw: unknown): SendMessageCommand {
  const c = obj(raw, 'command');
  if (c.type !== RoutingKeys.messageSend) throw new Invalid('not a send command');
  const acceptedBy = typeof c.acceptedBy === 'string' && c.acceptedBy.length <= 128 ? { acceptedBy: c.acceptedBy } : {};
  return { type: RoutingKeys.messageSend, correlationId: correlationOf(c), message: messageCore(c.message), ...acceptedBy };
}

function date(v: unknown, what: string): string {
  const s = str(v, what);
  if (Number.isNaN(Date.parse(s))) throw new Invalid(`${what} must be a date`);
  return s;
}

function ids(v: unknown, what: string, max = 1000): string[] {
  if (!Array.isArray(v) || v.length > max) throw new Invalid(`${what} must be a bounded array`);
  return v.map((x, i) => id(x, `${what}[${i}]`));
}

/** One invite id per listed user, or none at all (a command from before they existed). */
function inviteIdsFor(c: Record<string, unknown>, listed: string[]): { inviteIds?: string[] } {
  if (c.inviteIds === undefined) return {};
  const inviteIds = ids(c.inviteIds, 'inviteIds');
  if (inviteIds.length !== listed.length) throw new Invalid('inviteIds must name one id per listed user');
  return { inviteIds };
}

export function decodeGroupCommand(c: Record<string, unknown>): GroupCommand {
  const base = {
    type: RoutingKeys.groupCommand,
    correlationId: correlationOf(c),
    groupId: id(c.groupId, 'groupId'),
    actorId: id(c.actorId, 'actorId'),
    requestedAt: date(c.requestedAt, 'requestedAt'),
  } as const;
  switch (c.op) {
    case 'create': {
      const memberIds = ids(c.memberIds, 'memberIds');
      return { ...base, op: 'create', name: str(c.name, 'name'), memberIds, ...inviteIdsFor(c, memberIds) };
    }
    case 'rename':
      return { ...base, op: 'rename', name: str(c.name, 'name') };
    case 'add': {
      const userIds = ids(c.userIds, 'userIds');
      return { ...base, op: 'add', userIds, ...inviteIdsFor(c, userIds) };
    }
    case 'remove':
    case 'promote':
      return { ...base, op: c.op, userId: id(c.userId, 'userId') };
    case 'leave':
      return { ...base, op: 'leave' };
    case 'invite':
      return { ...base, op: 'invite', inviteId: id(c.inviteId, 'inviteId'), userId: id(c.userId, 'userId') };
    case 'respond':
      if (typeof c.accept !== 'boolean') throw new Invalid('accept must be a boolean');
      return { ...base, op: 'respond', inviteId: id(c.inviteId, 'inviteId'), accept: c.accept };
    default:
      throw new Invalid('unknown group op');
  }
}

export function decodeRoomCommand(raw: unknown): RoomCommand {
  const c = obj(raw, 'command');
  if (c.type === RoutingKeys.messageSend) return decodeSendCommand(c);
  if (c.type === RoutingKeys.groupCommand) return decodeGroupCommand(c);
  if (c.type === RoutingKeys.messagePin || c.type === RoutingKeys.messageUnpin) return decodePinCommand(c);
  if (c.type === RoutingKeys.messageReact) return reactCommand(c);
  if (c.type === RoutingKeys.userBlock) return decodeBlockCommand(c);
  if (c.type === RoutingKeys.messageReport) return decodeReportCommand(c);
  if (c.type === RoutingKeys.messageModerate) return decodeModerateCommand(c);
  if (c.type !== RoutingKeys.messageEdit && c.type !== RoutingKeys.messageDelete) throw new Invalid('not a room command');
  const base = {
    correlationId: correlationOf(c),
    messageId: id(c.messageId, 'messageId'),
    roomId: id(c.roomId, 'roomId'),
    actorId: id(c.actorId, 'actorId'),
    requestedAt: date(c.requestedAt, 'requestedAt'),
  };
  if (c.type === RoutingKeys.messageDelete) return { type: RoutingKeys.messageDelete, ...base } satisfies DeleteMessageCommand;
  return { type: RoutingKeys.messageEdit, ...base, content: str(c.content, 'content') } satisfies EditMessageCommand;
}

function decodePinCommand(c: Record<string, unknown>): PinCommand {
  return {
    type: c.type === RoutingKeys.messagePin ? RoutingKeys.messagePin : RoutingKeys.messageUnpin,
    correlationId: correlationOf(c),
    roomId: id(c.roomId, 'roomId'),
    messageId: id(c.messageId, 'messageId'),
    actorId: id(c.actorId, 'actorId'),
    requestedAt: date(c.requestedAt, 'requestedAt'),
  };
}

function decodeBlockCommand(c: Record<string, unknown>): BlockCommand {
  if (typeof c.on !== 'boolean') throw new Invalid('on must be a boolean');
  return {
    type: RoutingKeys.userBlock,
    correlationId: correlationOf(c),
    roomId: id(c.roomId, 'roomId'),
    blockerId: id(c.blockerId, 'blockerId'),
    blockedId: id(c.blockedId, 'blockedId'),
    on: c.on,
    requestedAt: date(c.requestedAt, 'requestedAt'),
  };
}

function decodeReportCommand(c: Record<string, unknown>): ReportCommand {
  const reason = str(c.reason, 'reason');
  if (reason.length > MAX_REPORT_REASON) throw new Invalid('reason is too long');
  return {
    type: RoutingKeys.messageReport,
    correlationId: correlationOf(c),
    reportId: id(c.reportId, 'reportId'),
    roomId: id(c.roomId, 'roomId'),
    messageId: id(c.messageId, 'messageId'),
    reporterId: id(c.reporterId, 'reporterId'),
    reason,
    requestedAt: date(c.requestedAt, 'requestedAt'),
  };
}

function decodeModerateCommand(c: Record<string, unknown>): ModerateCommand {
  if (c.action !== 'resolve' && c.action !== 'delete') throw new Invalid('action must be resolve or delete');
  return {
    type: RoutingKeys.messageModerate,
    correlationId: correlationOf(c),
    reportId: id(c.reportId, 'reportId'),
    roomId: id(c.roomId, 'roomId'),
    messageId: id(c.messageId, 'messageId'),
    operatorId: id(c.operatorId, 'operatorId'),
    action: c.action,
    requestedAt: date(c.requestedAt, 'requestedAt'),
  };
}

function decodeRefusedEvent(c: Record<string, unknown>): MessageRefusedEvent {
  const error = obj(c.error, 'error');
  return {
    type: RoutingKeys.messageRefused,
    correlationId: correlationOf(c),
    messageId: id(c.messageId, 'messageId'),
    roomId: id(c.roomId, 'roomId'),
    senderId: id(c.senderId, 'senderId'),
    clientMsgId: c.clientMsgId === null || c.clientMsgId === undefined ? null : str(c.clientMsgId, 'clientMsgId'),
    error: { code: str(error.code, 'error.code') as MessageRefusedEvent['error']['code'], message: str(error.message, 'error.message') },
  };
}

function decodePinChanged(c: Record<string, unknown>): PinChangedEvent {
  if (c.change !== 'pinned' && c.change !== 'unpinned') throw new Invalid('change must be pinned or unpinned');
  if (c.outcome !== 'applied' && c.outcome !== 'refused') throw new Invalid('outcome must be applied or refused');
  return {
    ...(c as unknown as PinChangedEvent),
    type: RoutingKeys.pinChanged,
    correlationId: correlationOf(c),
    roomId: id(c.roomId, 'roomId'),
    messageId: id(c.messageId, 'messageId'),
    actorId: id(c.actorId, 'actorId'),
    members: ids(c.members, 'members', 100_000),
  };
}

export function decodeFanoutEvent(raw: unknown): FanoutEvent {
  const c = obj(raw, 'event');
  if (c.type === RoutingKeys.messagePersisted) return decodePersistedEvent(c);
  if (c.type === RoutingKeys.pinChanged) return decodePinChanged(c);
  if (c.type === RoutingKeys.messageReacted) return reactedEvent(c);
  if (c.type === RoutingKeys.messageRefused) return decodeRefusedEvent(c);
  if (c.type === RoutingKeys.messageRejected) return rejectedEvent(c);
  if (c.type === RoutingKeys.groupChanged) {
    if (c.outcome !== 'applied' && c.outcome !== 'refused') throw new Invalid('outcome must be applied or refused');
    return {
      ...(c as unknown as GroupChangedEvent),
      groupId: id(c.groupId, 'groupId'),
      actorId: id(c.actorId, 'actorId'),
      affected: ids(c.affected, 'affected'),
      previousMembers: ids(c.previousMembers, 'previousMembers', 100_000),
    };
  }
  if (c.type !== RoutingKeys.messageChanged) throw new Invalid('not a fanout event');
  if (c.change !== 'edited' && c.change !== 'deleted') throw new Invalid('change must be edited or deleted');
  if (c.outcome !== 'applied' && c.outcome !== 'refused') throw new Invalid('outcome must be applied or refused');
  return {
    ...(c as unknown as MessageChangedEvent),
    type: RoutingKeys.messageChanged,
    correlationId: correlationOf(c),
    messageId: id(c.messageId, 'messageId'),
    roomId: id(c.roomId, 'roomId'),
    actorId: id(c.actorId, 'actorId'),
    peerId: c.peerId === null ? null : id(c.peerId, 'peerId'),
    ...(c.groupId !== undefined ? { groupId: id(c.groupId, 'groupId') } : {}),
    ...(c.senderId !== undefined ? { senderId: id(c.senderId, 'senderId') } : {}),
    ...(c.deletedBy !== undefined ? { deletedBy: moderator(c.deletedBy) } : {}),
  };
}

function moderator(v: unknown): 'moderator' {
  if (v !== 'moderator') throw new Invalid('deletedBy must be moderator');
  return v;
}

function rejectedEvent(c: Record<string, unknown>): MessageRejectedEvent {
  const reason = str(c.reason, 'reason');
  if (reason.length === 0 || reason.length > 200) throw new Invalid('reason must be 1-200 characters');
  return {
    type: RoutingKeys.messageRejected,
    correlationId: correlationOf(c),
    messageId: id(c.messageId, 'messageId'),
    roomId: id(c.roomId, 'roomId'),
    senderId: id(c.senderId, 'senderId'),
    clientMsgId: c.clientMsgId === null || c.clientMsgId === undefined ? null : str(c.clientMsgId, 'clientMsgId'),
    ...(c.groupId !== undefined ? { groupId: id(c.groupId, 'groupId') } : {}),
    reason,
    replay: c.replay === true,
  };
}

export function decodePersistedEvent(raw: unknown): MessagePersistedEvent {
  const c = obj(raw, 'event');
  if (c.type !== RoutingKeys.messagePersisted) throw new Invalid('not a persisted event');
  const message = messageCore(c.message);
  if (typeof message.seq !== 'number' || !Number.isInteger(message.seq) || message.seq < 1)
    throw new Invalid('message.seq must be a positive integer');
  return {
    type: RoutingKeys.messagePersisted,
    correlationId: correlationOf(c),
    message: message as MessageView,
    replay: Boolean(c.replay),
    ...(c.storedAt !== undefined ? { storedAt: date(c.storedAt, 'storedAt') } : {}),
    ...(typeof c.acceptedBy === 'string' && c.acceptedBy.length <= 128 ? { acceptedBy: c.acceptedBy } : {}),
  };
}

export function decodeReceiptCommand(raw: unknown): ReceiptCommand {
  const c = obj(raw, 'receipt');
  if (c.type !== RoutingKeys.receipt) throw new Invalid('not a receipt');
  if (c.kind !== 'delivered' && c.kind !== 'read') throw new Invalid('receipt.kind must be delivered or read');
  if (!Array.isArray(c.messageIds) || c.messageIds.length > 1000) throw new Invalid('receipt.messageIds must be a bounded array');
  const upToSeq = c.upToSeq === undefined ? undefined : Number(c.upToSeq);
  if (upToSeq !== undefined && (!Number.isInteger(upToSeq) || upToSeq < 0)) throw new Invalid('receipt.upToSeq must be an integer');
  return {
    type: RoutingKeys.receipt,
    correlationId: correlationOf(c),
    kind: c.kind,
    userId: id(c.userId, 'receipt.userId'),
    roomId: id(c.roomId, 'receipt.roomId'),
    messageIds: c.messageIds.map((m, i) => id(m, `receipt.messageIds[${i}]`)),
    upToSeq,
    notifyUserId: c.notifyUserId === undefined ? undefined : id(c.notifyUserId, 'receipt.notifyUserId'),
    group: c.group === true ? true : undefined,
    at: date(c.at, 'receipt.at'),
  };
}
