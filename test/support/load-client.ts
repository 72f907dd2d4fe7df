import { io, type Socket } from 'socket.io-client';
import type { MessageView } from '@chat/contracts';

const RETRYABLE = new Set(['UNAVAILABLE', 'RATE_LIMITED', 'BUSY', 'INTERNAL']);

/**
 * A client as a real app runs one: when its edge goes away it reconnects to another edge; a send that was
 * not acknowledged (timeout, refusal while a dependency is down, lost connection) is retried with the same
 * clientMsgId until it is. Every receive is recorded as it arrived, before any de-duplication.
 */
export class LoadUser {
  socket: Socket | null = null;
  edge: number;
  readonly events: MessageView[] = [];
  readonly acked: MessageView[] = [];
  reconnects = 0;
  /** When this client, told its edge was draining, left it (ms since the epoch). */
  readonly drainedAt: number[] = [];
  retries = 0;
  /** Sends refused with BUSY (the store was behind) and retried after the delay the edge gave. */
  busy = 0;
  private closed = false;
  private readonly lastSeq = new Map<string, number>();

  constructor(
    private readonly urls: string[],
    private readonly token: string,
    edge: number,
  ) {
    this.edge = edge % urls.length;
  }

  connect(): Promise<void> {
    return new Promise((resolve) => {
      const attempt = () => {
        if (this.closed) return resolve();
        // like a real app, it tells the server what it already has, so nothing it has is sent again
        const since: Record<string, number> = Object.fromEntries(this.lastSeq);
        const s = io(`${this.urls[this.edge]}/chat`, {
          auth: { token: this.token, since },
          transports: ['websocket'],
          reconnection: false,
          forceNew: true,
          timeout: 5000,
        });
        s.on('receive_message', (p: { message: MessageView }, ack?: () => void) => {
          this.events.push(p.message);
          if ((p.message.seq ?? 0) > (this.lastSeq.get(p.message.roomId) ?? 0)) this.lastSeq.set(p.message.roomId, p.message.seq!);
          ack?.();
        });
        s.once('connect', () => {
          this.socket = s;
          resolve();
        });
        // the edge is stopping: leave at the moment it gives, for another edge, with what this client has
        s.on('server_draining', (p: { reconnectAfterMs: number }) => {
          setTimeout(() => {
            if (this.closed || this.socket !== s) return;
            this.drainedAt.push(Date.now());
            this.reconnects++;
            this.socket = null;
            s.close();
            this.edge = (this.edge + 1) % this.urls.length;
            void this.connect();
          }, p.reconnectAfterMs);
        });
        s.once('connect_error', () => {
          s.close();
          this.edge = (this.edge + 1) % this.urls.length;
          setTimeout(attempt, 300);
        });
        s.on('disconnect', (reason) => {
          if (this.closed || reason === 'io client disconnect') return;
          this.reconnects++;
          this.socket = null;
          // the edge died or dropped us: go to the next one
          this.edge = (this.edge + 1) % this.urls.length;
          setTimeout(() => void this.connect(), 200);
        });
      };
      attempt();
    });
  }

  /** Sends until acknowledged (same clientMsgId every time); returns the acknowledged message. */
  async send(
    payload: { receiverId: string; roomId: string; content: string; clientMsgId: string },
    deadlineMs = 180_000,
  ): Promise<MessageView> {
    const deadline = Date.now() + deadlineMs;
    for (;;) {
      if (Date.now() > deadline) throw new Error(`send ${payload.clientMsgId} never acknowledged`);
      if (this.closed) throw new Error(`send ${payload.clientMsgId}: client closed`);
      const s = this.socket;
      if (s?.connected) {
        const r = await s
          .timeout(8000)
          .emitWithAck('send_message', payload)
          .catch(() => null);
        if (r?.ok) {
          this.acked.push(r.message);
          return r.message;
        }
        if (r && !RETRYABLE.has(r.error?.code)) throw new Error(`send refused: ${JSON.stringify(r.error)}`);
        if (r?.error?.code === 'BUSY') {
          // the store is behind: wait as long as the edge asks (it spreads the delays itself)
          this.busy++;
          this.retries++;
          await new Promise((res) => setTimeout(res, r.error.retryAfterMs ?? 1000));
          continue;
        }
      }
      this.retries++;
      await new Promise((res) => setTimeout(res, 250));
    }
  }

  close(): void {
    this.closed = true;
    this.socket?.close();
  }
}
