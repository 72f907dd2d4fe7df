import { Invalid } from './errors';
import { isObjectId } from './ids';
import { RoutingKeys, type MessagePersistedEvent, type ReceiptCommand, type SendMessageCommand } from './broker-contracts';
import type { MessageView } from './messages';

/** Runtime checks of broker payloads: workers trust nothing they did not validate themselves. */
function obj(v: unknown, what: string): Record<string, unknown> {
  if (v === null || typeof v !== 'object' || Array.isArray(v)) throw new Invalid(`${what} must be an object`);
  return v as Record<string, unknown>;
}
function str(v: unknown, what: string): string {
  if (typeof v !== 'string') throw new Invalid(`${what} must be a string`);
  return v;
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
  };
}

export function decodeSendCommand(raw: unknown): SendMessageCommand {
  const c = obj(raw, 'command');
  if (c.type !== RoutingKeys.messageSend) throw new Invalid('not a send command');
  return { type: RoutingKeys.messageSend, correlationId: String(c.correlationId ?? ''), message: messageCore(c.message) };
}

export function decodePersistedEvent(raw: unknown): MessagePersistedEvent {
  const c = obj(raw, 'event');
  if (c.type !== RoutingKeys.messagePersisted) throw new Invalid('not a persisted event');
  const message = messageCore(c.message);
  if (typeof message.seq !== 'number' || !Number.isInteger(message.seq) || message.seq < 1) throw new Invalid('message.seq must be a positive integer');
  return { type: RoutingKeys.messagePersisted, correlationId: String(c.correlationId ?? ''), message: message as MessageView, replay: Boolean(c.replay) };
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
    correlationId: String(c.correlationId ?? ''),
    kind: c.kind,
    userId: id(c.userId, 'receipt.userId'),
    roomId: id(c.roomId, 'receipt.roomId'),
    messageIds: c.messageIds.map((m, i) => id(m, `receipt.messageIds[${i}]`)),
    upToSeq,
    at: str(c.at, 'receipt.at'),
  };
}
