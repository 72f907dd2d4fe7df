import type { IncomingMessage } from 'node:http';
import { randomUUID } from 'node:crypto';
import type { Namespace, Socket } from 'socket.io';
import { catchUpsPending, edgeDeliveries, errors, offlineDrained, onScrape, socketsConnected } from '@chat/ops';
import {
  AppError,
  ClientEvents,
  EPHEMERAL_EVENTS,
  NotFound,
  ServerEvents,
  EditMessageDto,
  InternalEvents,
  JoinRoomDto,
  MessageIdDto,
  OBJECT_ID_RE,
  parseDto,
  recipientsOf,
  SendMessageDto,
  SocketGroupMessageDto,
  toErrorBody,
  TypingDto,
  type DeliveryEnvelope,
  type MessageView,
} from '@chat/contracts';
import type { Identity, TokenVerifier } from '@chat/auth';
import type { Presence } from '@chat/delivery';
import type { Logger } from '@chat/logging';
import type { ReceiptBatcher } from '../receipt-batcher';
import type { OpenConversationUseCase } from '../usecases/open-conversation/open-conversation.usecase';
import type { SendMessageUseCase } from '../usecases/send-message/send-message.usecase';
import type { SyncInboxUseCase, SyncResult } from '../usecases/sync-inbox/sync-inbox.usecase';
import type { ChangeMessageUseCase } from '../usecases/change-message/change-message.usecase';
import type { MarkReceiptsUseCase } from '../usecases/mark-receipts/mark-receipts.usecase';
import type { Inbox } from '../usecases/ports';
import { CatchUps } from './catch-ups';
import { LocalSockets } from './local-sockets';
import { handedFloor, SocketDelivery } from './socket-delivery';
import type { RateLimits } from '../rate-limits';
import type { RoomMembers } from '../room-members';
import type { PresenceUseCase } from '../usecases/presence/presence.usecase';
import { TypingThrottle } from './typing-throttle';

export interface GatewayDeps {
  verifier: TokenVerifier;
  presence: Presence;
  inbox: Inbox;
  receipts: ReceiptBatcher;
  openConversation: OpenConversationUseCase;
  sendMessage: SendMessageUseCase;
  changeMessage: ChangeMessageUseCase;
  markReceipts: MarkReceiptsUseCase;
  syncInbox: SyncInboxUseCase;
  log: Logger;
  presenceTtlMs: number;
  limits?: RateLimits;
  maxSocketsPerUser?: number;
  /** The client behind trusted proxies (TRUST_PROXY); defaults to the peer address. */
  clientAddress?: (req: IncomingMessage) => string;
  /** How long a device has to acknowledge a message before the server stops waiting for the ack. */
  ackTimeoutMs?: number;
  /** UNSAFE, test-only (UNSAFE_GATE_REPEATS): the per-socket gate lets repeated messages through. */
  gateRepeats?: boolean;
  /** Typing indicators: who is in a room (cached), and how events for other edges leave this one. */
  typing?: { members: RoomMembers; relay: (env: DeliveryEnvelope) => Promise<void>; stopAfterMs?: number };
  /** Online and last seen: announced on the first socket and after the last one closed plus the grace. */
  presenceInfo?: { useCase: PresenceUseCase; graceMs: number };
}

type Ack = (res: unknown) => void;

/** Events that write: they count against the user's write limit. */
const WRITES = new Set<string>([
  ClientEvents.sendMessage,
  ClientEvents.sendGroupMessage,
  ClientEvents.editMessage,
  ClientEvents.deleteMessage,
  ClientEvents.joinOrCreateRoom,
  ClientEvents.messageDelivered,
  ClientEvents.messageRead,
]);

/** Socket.IO transport on the /chat namespace: handshake auth, event handlers, and per-socket delivery. */
export class ChatGateway {
  readonly sockets = new LocalSockets();
  private heartbeat: NodeJS.Timeout | null = null;
  /** Set when the edge stops: no new socket is taken. */
  private draining = false;
  /** Catch-ups from the store, one at a time per user (see CatchUps). */
  private readonly catchUps = new CatchUps<SyncResult>({
    read: async (userId) => {
      const sync = await this.d.syncInbox.execute(userId, this.handedToAll(userId));
      if (sync.source !== 'store') throw new AppError('UNAVAILABLE', 'store unavailable');
      return sync;
    },
    apply: async (userId, sync, release) => {
      // what a device says it already has (handshake auth.since) was set in its gate when it connected, so
      // it is not sent again even when its delivered receipt was lost with an edge that died before writing it
      const parked = [
        ...sync.gaps.map((gap) => ({ event: ServerEvents.syncGap, payload: gap })),
        ...sync.events.map((env) => ({ event: env.event, payload: env.payload })),
      ];
      for (const local of this.sockets.of(userId)) {
        if (!release) local.delivery.feed(sync.messages, sync.cursors, parked, sync.changes);
        else local.delivery.release(sync.messages, sync.cursors, parked, sync.changes);
      }
      if (sync.parkedIds.length > 0) {
        await this.d.inbox.remove(userId, sync.parkedIds);
        offlineDrained.inc(sync.parkedIds.length);
      }
      this.d.log.debug(
        { userId, synced: sync.messages.length, parked: sync.parkedIds.length, gaps: sync.gaps.length },
        'user synced from the store',
      );
    },
    connected: (userId) => this.sockets.has(userId),
    done: (userId, took) => {
      if (took.ms >= 1000) this.d.log.info({ userId, ...took }, 'deliveries held for a slow catch-up released');
    },
    retrying: (userId, attempt, err) =>
      this.d.log.warn({ userId, attempt, err: err.message }, 'catch-up failed; holding the user’s deliveries and retrying'),
    // a held socket must not stay held: its client reconnects and gets the full connect-time sync
    giveUp: (userId, err) => {
      this.d.log.warn({ userId, err: err.message }, 'catch-up failed; disconnecting the user so it reconnects');
      for (const local of this.sockets.of(userId)) local.socket.disconnect(true);
    },
  });

  /** Typing starts and stops per (user, room), throttled; what comes out goes to the room's other members. */
  private readonly typing: TypingThrottle;
  /** Per user whose last socket here closed: the pending offline announcement. */
  private readonly goingOffline = new Map<string, NodeJS.Timeout>();

  constructor(
    private readonly nsp: Namespace,
    private readonly d: GatewayDeps,
  ) {
    this.typing = new TypingThrottle((key, isTyping) => void this.sendTyping(key, isTyping), { stopAfterMs: d.typing?.stopAfterMs });
  }

  private async sendTyping(key: string, isTyping: boolean): Promise<void> {
    const t = this.d.typing;
    if (!t) return;
    const [userId, roomId] = key.split('|');
    try {
      const members = await t.members.membersIfIn(roomId, userId);
      const others = members?.filter((u) => u !== userId) ?? [];
      if (others.length > 0) await t.relay({ userIds: others, event: ServerEvents.typing, payload: { roomId, userId, isTyping } });
    } catch (err) {
      this.d.log.warn({ err: (err as Error).message }, 'typing event not sent');
    }
  }

  start(): void {
    this.nsp.use((_socket, next) => {
      if (!this.draining) return next();
      const e = new Error('UNAVAILABLE') as Error & { data?: unknown };
      e.data = toErrorBody(new AppError('UNAVAILABLE', 'this edge is stopping: connect to another')).error;
      next(e);
    });
    this.nsp.use((socket, next) => {
      if (!this.d.limits) return next();
      this.d.limits
        .take('connect', this.d.clientAddress ? this.d.clientAddress(socket.request) : socket.handshake.address)
        .then(() => next())
        .catch((err: unknown) => {
          const body = toErrorBody(err);
          const e = new Error(body.error.code) as Error & { data?: unknown };
          e.data = body.error;
          next(e);
        });
    });
    this.nsp.use((socket, next) => {
      const raw = (socket.handshake.auth as { token?: unknown } | undefined)?.token ?? socket.handshake.headers.authorization;
      const token = typeof raw === 'string' ? raw.replace(/^Bearer\s+/i, '') : raw;
      this.d.verifier
        .verify(token)
        .then(async (identity) => {
          const max = this.d.maxSocketsPerUser;
          // count and add in one step, or simultaneous connects would all see room under the cap
          if (max !== undefined && !(await this.d.presence.claim(identity.userId, socket.id, max))) {
            throw new AppError('RATE_LIMITED', `at most ${max} connections per user`);
          }
          (socket.data as { identity: Identity }).identity = identity;
          next();
        })
        .catch((err: unknown) => {
          const body = toErrorBody(err);
          const e = new Error(body.error.code) as Error & { data?: unknown };
          e.data = body.error;
          next(e);
        });
    });
    this.nsp.on('connection', (socket) => void this.onConnection(socket));
    this.nsp.on(InternalEvents.deliver, (envelopes: unknown) => this.deliverLocal(envelopes, 'all'));
    onScrape(async () => catchUpsPending.set(this.catchUps.pending));
    this.heartbeat = setInterval(() => void this.refreshPresence(), Math.floor(this.d.presenceTtlMs / 3));
    this.heartbeat.unref();
  }

  stop(): void {
    if (this.heartbeat) clearInterval(this.heartbeat);
    for (const t of this.goingOffline.values()) clearTimeout(t);
    this.goingOffline.clear();
  }

  /**
   * Sends this edge's sockets elsewhere without a reconnect storm: no new socket is taken, and each one is
   * told when to reconnect (`server_draining`), at moments spread evenly over `windowMs` in random order,
   * then closed a little after its moment if it has not gone by itself. Resolves when none is left.
   * Deliveries go on meanwhile; what a socket misses reaches it through the sync on its new edge.
   */
  async drain(windowMs: number, graceMs = 1000): Promise<void> {
    this.draining = true;
    const all = this.sockets.all().map((l) => l.socket);
    for (let i = all.length - 1; i > 0; i--) {
      const j = Math.floor(Math.random() * (i + 1));
      [all[i], all[j]] = [all[j], all[i]];
    }
    const slot = all.length > 0 ? windowMs / all.length : 0;
    await Promise.all(
      all.map(
        (socket, i) =>
          new Promise<void>((resolve) => {
            if (!socket.connected) return resolve();
            const after = Math.floor((i + Math.random()) * slot);
            socket.emit(ServerEvents.serverDraining, { reconnectAfterMs: after });
            const close = setTimeout(() => socket.disconnect(true), after + graceMs);
            socket.once('disconnect', () => {
              clearTimeout(close);
              resolve();
            });
          }),
      ),
    );
  }

  private async onConnection(socket: Socket): Promise<void> {
    const { identity } = socket.data as { identity: Identity };
    const userId = identity.userId;
    const ackTimeout = this.d.ackTimeoutMs ?? 60_000;
    const delivery = new SocketDelivery(
      (m: MessageView) => {
        socket.timeout(ackTimeout).emit(ServerEvents.receiveMessage, { message: m }, (err: Error | null) => {
          if (!err) this.d.receipts.delivered(userId, m);
        });
      },
      (e) => socket.emit(e.event, e.payload),
      this.d.gateRepeats === true,
    );
    // what this device says it has (handshake auth.since) is where its catch-ups start in those rooms, even
    // below the user's stored cursor, which the user's other devices move: a phone that acknowledged
    // messages must not keep them from the laptop that reconnects (SyncInboxUseCase reads from `handed`)
    delivery.feed([], mergeSince({}, claimedSince(socket)));
    this.sockets.add({ socket, userId, delivery });
    socketsConnected.inc();
    this.bind(socket, userId);
    socket.on('disconnect', () => {
      socketsConnected.dec();
      this.sockets.remove(userId, socket.id);
      const gone = this.d.presence
        .offline(userId, socket.id)
        .catch((err: Error) => this.d.log.warn({ err: err.message }, 'presence offline failed'));
      if (!this.sockets.has(userId)) {
        this.typing.stopAll((key) => key.startsWith(`${userId}|`));
        void gone.then(() => this.userLeft(userId));
      }
    });

    try {
      await this.d.presence.online(userId, socket.id); // before the sync: see SyncInboxUseCase
    } catch (err) {
      this.d.log.warn({ userId, err: (err as Error).message }, 'could not mark the user online; asking the client to reconnect');
      socket.emit(ServerEvents.error, toErrorBody(new AppError('UNAVAILABLE', 'sync failed, reconnect')));
      socket.disconnect(true);
      return;
    }
    if (!socket.connected) return;
    this.userArrived(userId);
    // The connect-time sync is the user's catch-up, like the one after Redis lost presence: one per user at
    // a time, so a sync that read the store before a newer hold (a presence lapse meanwhile, another of the
    // user's sockets) is never the one that releases it. The socket's deliveries are held until then; while
    // the store does not answer they stay held and the read is retried (the offline inbox alone may have
    // gaps: handing it over would show later messages before missing ones, and the device's `since` would
    // then hide the missing ones for good).
    this.catchUps.request(userId);
  }

  /** A socket of the user is online: contacts are told if the user was offline (not after a reconnect within the grace). */
  private userArrived(userId: string): void {
    const info = this.d.presenceInfo;
    if (!info) return;
    const pending = this.goingOffline.get(userId);
    if (pending) clearTimeout(pending);
    this.goingOffline.delete(userId);
    info.useCase
      .connected(userId)
      .catch((err: Error) => this.d.log.warn({ userId, err: err.message }, 'could not announce the user online'));
  }

  /** The user's last socket here closed: after the grace, contacts are told if no socket of it is left anywhere. */
  private userLeft(userId: string): void {
    const info = this.d.presenceInfo;
    if (!info) return;
    info.useCase.socketClosed(userId).catch((err: Error) => this.d.log.warn({ userId, err: err.message }, 'could not record last seen'));
    const pending = this.goingOffline.get(userId);
    if (pending) clearTimeout(pending);
    const timer = setTimeout(() => {
      this.goingOffline.delete(userId);
      if (this.sockets.has(userId)) return;
      info.useCase
        .settle(userId)
        .catch((err: Error) => this.d.log.warn({ userId, err: err.message }, 'could not announce the user offline'));
    }, info.graceMs);
    timer.unref();
    this.goingOffline.set(userId, timer);
  }

  private bind(socket: Socket, userId: string): void {
    const handle = <T extends object>(
      event: string,
      run: (payload: unknown, correlationId: string) => Promise<T>,
      onOk?: (r: T) => void,
      onError?: (payload: unknown, body: ReturnType<typeof toErrorBody>) => void,
    ) => {
      socket.on(event, (payload: unknown, ack?: unknown) => {
        const reply = typeof ack === 'function' ? (ack as Ack) : null;
        // one id follows this request through the broker and the workers to the receiver's socket
        const correlationId = randomUUID();
        const limited = WRITES.has(event) && this.d.limits ? this.d.limits.take('write', userId) : Promise.resolve();
        limited
          .then(() => run(payload, correlationId))
          .then((r) => {
            if (WRITES.has(event))
              this.d.log.debug(
                {
                  correlationId,
                  event,
                  userId,
                  messageId: (r as { message?: { id?: string } }).message?.id ?? (r as { messageId?: string }).messageId,
                },
                'accepted',
              );
            onOk?.(r);
            reply?.({ ok: true, ...r });
          })
          .catch((err: unknown) => {
            if (!(err instanceof AppError)) this.d.log.error({ event, err: (err as Error).message }, 'socket handler failed');
            const body = toErrorBody(err);
            errors.inc({ code: body.error.code, transport: 'socket' });
            onError?.(payload, body);
            if (reply) reply({ ok: false, ...body });
            else if (!onError) socket.emit(ServerEvents.error, body);
          });
      });
    };
    const idOf = (payload: unknown) =>
      (payload && typeof payload === 'object' ? (payload as { messageId?: unknown }).messageId : undefined) ?? null;
    const statusError = (statusEvent: string) => (payload: unknown, body: ReturnType<typeof toErrorBody>) =>
      socket.emit(statusEvent, { messageId: idOf(payload), status: 'error', ...body });

    handle(
      ClientEvents.joinOrCreateRoom,
      async (payload) => {
        const { participantId } = parseDto(JoinRoomDto, payload, 'payload');
        const conversation = await this.d.openConversation.execute({ userId, user1: userId, user2: participantId });
        return { roomId: conversation.id, conversation };
      },
      (r) => socket.emit(ServerEvents.joinRoomSuccess, r),
    );

    handle(ClientEvents.sendMessage, async (payload, correlationId) => {
      const dto = parseDto(SendMessageDto, payload, 'payload');
      const message = await this.d.sendMessage.execute({ userId, dto, correlationId });
      return { message };
    });

    handle(ClientEvents.sendGroupMessage, async (payload, correlationId) => {
      const { groupId, ...dto } = parseDto(SocketGroupMessageDto, payload, 'payload');
      const message = await this.d.sendMessage.execute({ userId, dto: { ...dto, roomId: groupId, receiverId: groupId }, correlationId });
      return { message };
    });

    // the outcome of an accepted change arrives later as edit_message_status / delete_message_status
    handle(
      ClientEvents.editMessage,
      async (payload, correlationId) => {
        const { messageId, newContent } = parseDto(EditMessageDto, payload, 'payload');
        return this.d.changeMessage.execute({ kind: 'edit', userId, messageId, content: newContent, correlationId });
      },
      undefined,
      statusError(ServerEvents.editMessageStatus),
    );

    handle(
      ClientEvents.deleteMessage,
      async (payload, correlationId) => {
        const { messageId } = parseDto(MessageIdDto, payload, 'payload');
        return this.d.changeMessage.execute({ kind: 'delete', userId, messageId, correlationId });
      },
      undefined,
      statusError(ServerEvents.deleteMessageStatus),
    );

    // ephemeral: not stored, not queued, throttled here; only members of the room may send it
    handle(ClientEvents.typing, async (payload) => {
      const { roomId, isTyping } = parseDto(TypingDto, payload, 'payload');
      const limits = this.d.limits;
      const readCounted = limits ? () => limits.take('write', userId) : undefined;
      if (!this.d.typing || !(await this.d.typing.members.membersIfIn(roomId, userId, readCounted))) throw new NotFound('room not found');
      this.typing.input(`${userId}|${roomId}`, isTyping);
      return {};
    });

    for (const [event, kind, statusEvent] of [
      [ClientEvents.messageDelivered, 'delivered', ServerEvents.messageDeliveredAck],
      [ClientEvents.messageRead, 'read', ServerEvents.messageReadStatus],
    ] as const) {
      handle(
        event,
        async (payload, correlationId) => {
          const { messageId } = parseDto(MessageIdDto, payload, 'payload');
          await this.d.markReceipts.execute({ userId, kind, messageIds: [messageId], correlationId });
          return { messageId, status: kind };
        },
        (r) => socket.emit(statusEvent, r),
        statusError(statusEvent),
      );
    }
  }

  /** Hands a delivery batch (this edge's share, or one sent to every edge) to the sockets it names that are here. */
  deliverLocal(envelopes: unknown, via: 'own' | 'all'): void {
    if (!Array.isArray(envelopes)) return;
    for (const env of envelopes as DeliveryEnvelope[]) {
      if (!env || typeof env !== 'object') continue;
      const recipients = recipientsOf(env);
      edgeDeliveries.inc({ via, held: recipients.some((u) => this.sockets.has(u)) ? 'yes' : 'no' });
      for (const userId of recipients) {
        const locals = [...this.sockets.of(userId)];
        if (env.correlationId && locals.length > 0)
          this.d.log.debug({ correlationId: env.correlationId, event: env.event, userId, sockets: locals.length }, 'emitted to socket');
        for (const local of locals) {
          // typing and presence: not in the message gate (nothing to order or hold for a sync)
          if (EPHEMERAL_EVENTS.has(env.event)) local.socket.emit(env.event, env.payload);
          else if (env.event === ServerEvents.receiveMessage) local.delivery.offer((env.payload as { message: MessageView }).message);
          else local.delivery.offerEvent({ event: env.event, payload: env.payload });
        }
      }
    }
  }

  private async refreshPresence(): Promise<void> {
    const all = this.sockets.all();
    let lost: Array<{ userId: string; socketId: string }>;
    try {
      lost = await this.d.presence.touch(all.map((s) => ({ userId: s.userId, socketId: s.socket.id })));
    } catch (err) {
      this.d.log.warn({ err: (err as Error).message }, 'presence heartbeat failed');
      return;
    }
    if (lost.length === 0) return;
    this.d.log.warn(
      { sockets: lost.length },
      'presence lapsed (Redis lost it, or the heartbeat ran late); catching these users up from the store',
    );
    // Redis forgot these sockets (restart, flush) or their entries expired before this heartbeat came:
    // fanout may have been parking their messages meanwhile. Hold
    // their live deliveries first, then mark them online again, then catch up from the store: in that
    // order a live message cannot overtake the older ones the catch-up brings.
    const users = this.hold(lost.map((l) => l.userId));
    const refreshed = this.d.presence
      .refresh(lost)
      .catch((err: Error) => this.d.log.warn({ err: err.message }, 'could not restore presence; the next heartbeat retries'));
    // asked now (a catch-up of these users already reading must not release the hold just placed), read after the refresh
    for (const userId of users) this.catchUps.request(userId, refreshed);
    await refreshed;
  }

  /**
   * The adapter's Redis subscription was lost and is back: deliveries published meanwhile never reached
   * this edge (pub/sub keeps nothing). Hold every local socket and catch each user up from the store.
   */
  catchUpAll(reason: string): void {
    const users = this.hold(this.sockets.all().map((s) => s.userId));
    if (users.length === 0) return;
    this.d.log.warn({ users: users.length, reason }, 'catching every connected user up from the store');
    for (const userId of users) this.catchUps.request(userId);
  }

  /**
   * Holds every local socket's live deliveries, without a catch-up yet: the adapter's subscription dropped,
   * and until it is back what fanout publishes never reaches this edge. A message handed after the
   * subscription is back but before the catch-up would make the socket's gate drop the lost ones for good
   * (it hands each room in seq order and never goes back), so everything waits for `catchUpAll`.
   */
  holdAll(): void {
    this.hold(this.sockets.all().map((s) => s.userId));
  }

  /** Where a catch-up of the user's sockets on this edge starts, per room (see handedFloor). */
  private handedToAll(userId: string): Record<string, number> {
    return handedFloor([...this.sockets.of(userId)].map((l) => l.delivery));
  }

  /** Holds the live deliveries of every local socket of these users (until their catch-up releases them). */
  private hold(userIds: string[]): string[] {
    const users = [...new Set(userIds)];
    for (const userId of users) for (const local of this.sockets.of(userId)) local.delivery.hold();
    return users;
  }
}

/** What the device says it already has, per room (handshake `auth.since`); validated by mergeSince. */
function claimedSince(socket: Socket): unknown {
  return (socket.handshake.auth as { since?: unknown } | undefined)?.since;
}

/**
 * The larger of the stored cursor and the device's own claim, per room; a malformed claim is ignored (it can
 * only cost its sender messages). The claim is also where the device's catch-ups start (onConnection).
 */
export function mergeSince(cursors: Record<string, number>, since: unknown): Record<string, number> {
  if (!since || typeof since !== 'object' || Array.isArray(since)) return cursors;
  const out = { ...cursors };
  let n = 0;
  for (const [room, seq] of Object.entries(since as Record<string, unknown>)) {
    if (++n > 10_000) break;
    if (!OBJECT_ID_RE.test(room) || typeof seq !== 'number' || !Number.isSafeInteger(seq) || seq < 0) continue;
    if (seq > (out[room] ?? 0)) out[room] = seq;
  }
  return out;
}
