import { randomUUID } from 'node:crypto';
import { errors } from '@chat/ops';
import {
  AppError,
  ClientEvents,
  EditMessageDto,
  JoinRoomDto,
  MessageIdDto,
  parseDto,
  ReactMessageDto,
  SendMessageDto,
  ServerEvents,
  SocketGroupMessageDto,
  toErrorBody,
  TypingDto,
  type ClientAcks,
  type ClientEventName,
  type ServerEmit,
  type ServerEventName,
  type ServerPayloads,
} from '@chat/contracts';
import type { Logger } from '@chat/logging';
import type { RateLimits } from '../rate-limits';
import type { ChangeMessageUseCase } from '../usecases/change-message/change-message.usecase';
import type { MarkReceiptsUseCase } from '../usecases/mark-receipts/mark-receipts.usecase';
import type { OpenConversationUseCase } from '../usecases/open-conversation/open-conversation.usecase';
import type { ReactMessageUseCase } from '../usecases/react-message/react-message.usecase';
import type { SendMessageUseCase } from '../usecases/send-message/send-message.usecase';
import { emitTo, type ChatSocket } from './chat-socket';
import type { RoomTyping } from './room-typing';

export interface HandlerDeps {
  openConversation: OpenConversationUseCase;
  sendMessage: SendMessageUseCase;
  changeMessage: ChangeMessageUseCase;
  reactMessage: ReactMessageUseCase;
  markReceipts: MarkReceiptsUseCase;
  typing: RoomTyping;
  limits?: RateLimits;
}

/** Who asked: the user from the token, and one id that follows the request through the broker and workers. */
export interface SocketRequest {
  userId: string;
  correlationId: string;
}

/** Server events whose payload a result of type T is: what a row may emit with its result. */
type EventCarrying<T> = { [S in ServerEventName]: T extends ServerPayloads[S] ? S : never }[ServerEventName];

/** Replies that say how a request about one message ended, success or refusal. */
type StatusEvent =
  | typeof ServerEvents.editMessageStatus
  | typeof ServerEvents.deleteMessageStatus
  | typeof ServerEvents.messageDeliveredAck
  | typeof ServerEvents.messageReadStatus;

/** One client event: parse its payload and call its use case; what it answers is the ack's payload. */
export interface SocketHandler<E extends ClientEventName> {
  /** Counts against the user's write limit. */
  write: boolean;
  run(req: SocketRequest, payload: unknown): Promise<ClientAcks[E]>;
  /** Also emitted with the result (for clients that listen rather than ask for an ack). */
  okEvent?: EventCarrying<ClientAcks[E]>;
  /** A refusal is emitted here, naming the message, rather than as error_event when there is no ack. */
  statusEvent?: StatusEvent;
}

/** Every client event and what handles it: a new event without a row does not compile. */
export type SocketHandlers = { [E in ClientEventName]: SocketHandler<E> };

export function socketHandlers(d: HandlerDeps): SocketHandlers {
  const receipt =
    <K extends 'delivered' | 'read'>(kind: K) =>
    async (req: SocketRequest, payload: unknown) => {
      const { messageId } = parseDto(MessageIdDto, payload, 'payload');
      await d.markReceipts.execute({ userId: req.userId, kind, messageIds: [messageId], correlationId: req.correlationId });
      return { messageId, status: kind };
    };
  return {
    [ClientEvents.joinOrCreateRoom]: {
      write: true,
      run: async ({ userId }, payload) => {
        const { participantId } = parseDto(JoinRoomDto, payload, 'payload');
        const conversation = await d.openConversation.execute({ userId, user1: userId, user2: participantId });
        return { roomId: conversation.id, conversation };
      },
      okEvent: ServerEvents.joinRoomSuccess,
    },
    [ClientEvents.sendMessage]: {
      write: true,
      run: async ({ userId, correlationId }, payload) => {
        const dto = parseDto(SendMessageDto, payload, 'payload');
        return { message: await d.sendMessage.execute({ userId, dto, correlationId }) };
      },
    },
    [ClientEvents.sendGroupMessage]: {
      write: true,
      run: async ({ userId, correlationId }, payload) => {
        const { groupId, ...dto } = parseDto(SocketGroupMessageDto, payload, 'payload');
        const message = await d.sendMessage.execute({ userId, dto: { ...dto, roomId: groupId, receiverId: groupId }, correlationId });
        return { message };
      },
    },
    // the outcome of an accepted change arrives later as edit_message_status / delete_message_status
    [ClientEvents.editMessage]: {
      write: true,
      run: async ({ userId, correlationId }, payload) => {
        const { messageId, newContent } = parseDto(EditMessageDto, payload, 'payload');
        return d.changeMessage.execute({ kind: 'edit', userId, messageId, content: newContent, correlationId });
      },
      statusEvent: ServerEvents.editMessageStatus,
    },
    [ClientEvents.deleteMessage]: {
      write: true,
      run: async ({ userId, correlationId }, payload) => {
        const { messageId } = parseDto(MessageIdDto, payload, 'payload');
        return d.changeMessage.execute({ kind: 'delete', userId, messageId, correlationId });
      },
      statusEvent: ServerEvents.deleteMessageStatus,
    },
    // members then get message_reaction; a refusal by the worker arrives as react_message_status
    [ClientEvents.reactMessage]: {
      write: true,
      run: async ({ userId, correlationId }, payload) =>
        d.reactMessage.execute({ userId, ...parseDto(ReactMessageDto, payload, 'payload'), correlationId }),
    },
    // ephemeral: not stored, not queued, throttled here; only members of the room may send it
    [ClientEvents.typing]: {
      write: false,
      run: async ({ userId }, payload) => {
        const { roomId, isTyping } = parseDto(TypingDto, payload, 'payload');
        const limits = d.limits;
        await d.typing.input(userId, roomId, isTyping, limits ? () => limits.take('write', userId) : undefined);
        return {};
      },
    },
    [ClientEvents.messageDelivered]: {
      write: true,
      run: receipt('delivered'),
      okEvent: ServerEvents.messageDeliveredAck,
      statusEvent: ServerEvents.messageDeliveredAck,
    },
    [ClientEvents.messageRead]: {
      write: true,
      run: receipt('read'),
      okEvent: ServerEvents.messageReadStatus,
      statusEvent: ServerEvents.messageReadStatus,
    },
  };
}

type Reply = (res: unknown) => void;

/**
 * Binds every row to the socket with the same wrapper: the write limit, a correlation id, the ack (or the
 * row's events when the client asked for none), and the one mapping of errors to the wire.
 */
export function bindHandlers(
  socket: ChatSocket,
  userId: string,
  handlers: SocketHandlers,
  deps: { limits?: RateLimits; log: Logger },
): void {
  for (const event of Object.keys(handlers) as ClientEventName[]) {
    const h = handlers[event] as SocketHandler<ClientEventName>;
    socket.on(event, (payload: unknown, ack?: unknown) => {
      const reply = typeof ack === 'function' ? (ack as Reply) : null;
      const correlationId = randomUUID();
      const limited = h.write && deps.limits ? deps.limits.take('write', userId) : Promise.resolve();
      limited
        .then(() => h.run({ userId, correlationId }, payload))
        .then((r) => {
          if (h.write) deps.log.debug({ correlationId, event, userId, messageId: messageIdOf(r) }, 'accepted');
          if (h.okEvent) emitTo(socket, { event: h.okEvent, payload: r } as ServerEmit);
          reply?.({ ok: true, ...r });
        })
        .catch((err: unknown) => {
          if (!(err instanceof AppError)) deps.log.error({ event, err: (err as Error).message }, 'socket handler failed');
          const body = toErrorBody(err);
          errors.inc({ code: body.error.code, transport: 'socket' });
          if (h.statusEvent) emitTo(socket, { event: h.statusEvent, payload: { messageId: idOf(payload), status: 'error', ...body } });
          if (reply) reply({ ok: false, ...body });
          else if (!h.statusEvent) socket.emit(ServerEvents.error, body);
        });
    });
  }
}

function messageIdOf(r: object): string | undefined {
  return (r as { message?: { id?: string } }).message?.id ?? (r as { messageId?: string }).messageId;
}

/** The message a refused request named, echoed as the client sent it. */
function idOf(payload: unknown): unknown {
  return (payload && typeof payload === 'object' ? (payload as { messageId?: unknown }).messageId : undefined) ?? null;
}
