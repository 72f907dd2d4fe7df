import { catchUpsPending, edgeDeliveries, onScrape, socketsConnected } from '@chat/ops';
import {
  AppError,
  emitOf,
  EPHEMERAL_EVENTS,
  InternalEvents,
  recipientsOf,
  ServerEvents,
  toErrorBody,
  type DeliveryEnvelope,
  type MessageView,
} from '@chat/contracts';
import type { Logger } from '@chat/logging';
import type { ReceiptBatcher } from '../receipt-batcher';
import { emitTo, type ChatNamespace, type ChatSocket } from './chat-socket';
import { claimedSince, installHandshake, mergeSince, type HandshakeDeps } from './handshake';
import { LocalSockets } from './local-sockets';
import { PresenceAnnouncer, type PresenceAnnouncements } from './presence-announcer';
import { RoomTyping, type TypingRooms } from './room-typing';
import { OrderedDelivery } from './ordered-delivery';
import { bindHandlers, socketHandlers, type HandlerDeps, type SocketHandlers } from './socket-handlers';
import { StoreCatchUps, type StoreCatchUpDeps } from './store-catch-ups';

export interface GatewayDeps extends HandshakeDeps, Omit<HandlerDeps, 'typing'>, Omit<StoreCatchUpDeps, 'sockets'> {
  receipts: ReceiptBatcher;
  log: Logger;
  presenceTtlMs: number;
  /** How long a device has to acknowledge a message before the server stops waiting for the ack. */
  ackTimeoutMs?: number;
  /** UNSAFE, test-only (UNSAFE_GATE_REPEATS): a socket's delivery lets repeated messages through. */
  gateRepeats?: boolean;
  /** Typing indicators: who is in a room (cached), and how events for other edges leave this one. */
  typing?: TypingRooms;
  /** Online and last seen: announced on the first socket and after the last one closed plus the grace. */
  presenceInfo?: PresenceAnnouncements;
}

/**
 * Socket.IO transport on the /chat namespace: lets sockets in (handshake.ts), binds the client events to
 * their use cases (socket-handlers.ts), hands deliveries to the sockets they name, each through its own
 * ordered delivery, and keeps presence alive; catch-ups from the store are store-catch-ups.ts.
 */
export class ChatGateway {
  readonly sockets = new LocalSockets();
  private heartbeat: NodeJS.Timeout | null = null;
  /** Set when the edge stops: no new socket is taken. */
  private draining = false;
  private readonly catchUps: StoreCatchUps;
  private readonly typing: RoomTyping;
  private readonly announcer: PresenceAnnouncer;
  private readonly handlers: SocketHandlers;

  constructor(
    private readonly nsp: ChatNamespace,
    private readonly deps: GatewayDeps,
  ) {
    this.catchUps = new StoreCatchUps({ ...deps, sockets: this.sockets });
    this.typing = new RoomTyping(deps.typing, deps.log);
    this.announcer = new PresenceAnnouncer(deps.presenceInfo, this.sockets, deps.log);
    this.handlers = socketHandlers({ ...deps, typing: this.typing });
  }

  start(): void {
    installHandshake(this.nsp, this.deps, () => this.draining);
    this.nsp.on('connection', (socket) => void this.onConnection(socket));
    this.nsp.on(InternalEvents.deliver, (envelopes: unknown) => this.deliverLocal(envelopes, 'all'));
    onScrape(async () => catchUpsPending.set(this.catchUps.pending));
    this.heartbeat = setInterval(() => void this.refreshPresence(), Math.floor(this.deps.presenceTtlMs / 3));
    this.heartbeat.unref();
  }

  stop(): void {
    if (this.heartbeat) clearInterval(this.heartbeat);
    this.announcer.stop();
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

  /** The adapter's subscription is back: catch every local user up from the store (see StoreCatchUps). */
  catchUpAll(reason: string): void {
    this.catchUps.catchUpAll(reason);
  }

  /** The adapter's subscription dropped: hold every local socket's deliveries until `catchUpAll`. */
  holdAll(): void {
    this.catchUps.holdAll();
  }

  private async onConnection(socket: ChatSocket): Promise<void> {
    const { userId } = socket.data.identity;
    const ackTimeout = this.deps.ackTimeoutMs ?? 60_000;
    const delivery = new OrderedDelivery(
      (m: MessageView) => {
        socket.timeout(ackTimeout).emit(ServerEvents.receiveMessage, { message: m }, (err: Error | null) => {
          if (!err) this.deps.receipts.delivered(userId, m);
        });
      },
      (e) => emitTo(socket, e),
      this.deps.gateRepeats === true,
    );
    // what this device says it has (handshake auth.since) is where its catch-ups start in those rooms, even
    // below the user's stored cursor, which the user's other devices move: a phone that acknowledged
    // messages must not keep them from the laptop that reconnects (ReadMissedUseCase reads from `handed`)
    delivery.feed([], mergeSince({}, claimedSince(socket)));
    this.sockets.add({ socket, userId, delivery });
    socketsConnected.inc();
    bindHandlers(socket, userId, this.handlers, this.deps);
    socket.on('disconnect', () => {
      socketsConnected.dec();
      this.sockets.remove(userId, socket.id);
      const gone = this.deps.presence
        .offline(userId, socket.id)
        .catch((err: Error) => this.deps.log.warn({ err: err.message }, 'presence offline failed'));
      if (!this.sockets.has(userId)) {
        this.typing.stopAllOf(userId);
        void gone.then(() => this.announcer.left(userId));
      }
    });

    try {
      await this.deps.presence.online(userId, socket.id); // before the sync: see ReadMissedUseCase
    } catch (err) {
      this.deps.log.warn({ userId, err: (err as Error).message }, 'could not mark the user online; asking the client to reconnect');
      socket.emit(ServerEvents.error, toErrorBody(new AppError('UNAVAILABLE', 'sync failed, reconnect')));
      socket.disconnect(true);
      return;
    }
    if (!socket.connected) return;
    this.announcer.arrived(userId);
    // The connect-time sync is the user's catch-up, like the one after Redis lost presence: one per user at
    // a time, so a sync that read the store before a newer hold (a presence lapse meanwhile, another of the
    // user's sockets) is never the one that releases it. The socket's deliveries are held until then; while
    // the store does not answer they stay held and the read is retried (the offline inbox alone may have
    // gaps: handing it over would show later messages before missing ones, and the device's `since` would
    // then hide the missing ones for good).
    this.catchUps.request(userId);
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
          this.deps.log.debug({ correlationId: env.correlationId, event: env.event, userId, sockets: locals.length }, 'emitted to socket');
        for (const local of locals) {
          // typing and presence: not in the ordered delivery (nothing to order or hold for a sync)
          if (EPHEMERAL_EVENTS.has(env.event)) emitTo(local.socket, emitOf(env));
          else if (env.event === ServerEvents.receiveMessage) local.delivery.offer(env.payload.message);
          else local.delivery.offerEvent(emitOf(env));
        }
      }
    }
  }

  private async refreshPresence(): Promise<void> {
    const all = this.sockets.all();
    let lost: Array<{ userId: string; socketId: string }>;
    try {
      lost = await this.deps.presence.touch(all.map((s) => ({ userId: s.userId, socketId: s.socket.id })));
    } catch (err) {
      this.deps.log.warn({ err: (err as Error).message }, 'presence heartbeat failed');
      return;
    }
    if (lost.length === 0) return;
    this.deps.log.warn(
      { sockets: lost.length },
      'presence lapsed (Redis lost it, or the heartbeat ran late); catching these users up from the store',
    );
    await this.catchUps.presenceLapsed(lost);
  }
}
