import { randomUUID } from 'node:crypto';
import { RoutingKeys, type MessageView, type ReceiptCommand } from '@chat/contracts';
import type { Logger } from '@chat/logging';
import type { CommandBus } from './usecases/ports';

interface PendingReceipt {
  userId: string;
  roomId: string;
  ids: string[];
  upTo: number;
  notify?: string;
  group: boolean;
  /** When this (user, room) may send its next command. */
  due: number;
  /** When the device acknowledged the newest message: the receipt's time, however long it is merged. */
  ackedAt: number;
}

export interface ReceiptBatcherOptions {
  /** How often pending receipts are looked at; the first receipt of a quiet room waits at most this long. */
  flushMs?: number;
  /** At most one delivered command per (user, room) per this interval; receipts in between are merged. */
  coalesceMs?: number;
  /**
   * Under load the interval grows, up to this, so that this edge sends about `perSecond` commands a second
   * however many rooms are busy (see ReceiptBatcher). Equal to coalesceMs: a fixed interval.
   */
  coalesceMaxMs?: number;
  /** The receipt commands a second this edge aims to stay under by stretching the interval. */
  perSecond?: number;
  now?: () => number;
}

/**
 * Collects the devices' acknowledgements of received messages and sends them to the receipts worker as
 * one command per (user, room), instead of one broker message per message. A quiet room's receipt goes
 * out on the next tick (flushMs); a busy room's receipts are merged into one command per coalesceMs,
 * which covers everything up to the newest seq (delivered is a cursor: a later one implies the earlier).
 * So the receipt traffic of a busy conversation is bounded however fast it talks, and the sender's ticks
 * lag by at most the interval.
 *
 * Each command costs a broker round trip and a cursor write, and with many rooms each talking a little
 * (a message every second or two) a fixed 1 s interval merges almost nothing: one command per message.
 * So the interval stretches with the number of rooms whose receipts this edge is merging: rooms / perSecond
 * seconds, between coalesceMs and coalesceMaxMs. A lightly loaded edge keeps 1 s ticks; a loaded one sends
 * about perSecond commands a second and its senders' ticks slow down (measured on the bench: a 5 s interval
 * took 400 msg/s offered from 305/s delivered to 393/s). The first receipt of a quiet room still goes out
 * on the next tick.
 * A lost batch only means those messages are offered again on the next connect (the client de-duplicates).
 */
export class ReceiptBatcher {
  private pending = new Map<string, PendingReceipt>();
  /** When each (user, room) last sent a command; entries older than coalesceMs are dropped on each tick. */
  private readonly lastSent = new Map<string, number>();
  private timer: NodeJS.Timeout | null = null;
  private readonly flushMs: number;
  private readonly coalesceMs: number;
  private readonly coalesceMaxMs: number;
  private readonly perSecond: number;
  private readonly now: () => number;

  constructor(
    private readonly bus: CommandBus,
    private readonly log: Logger,
    opts: ReceiptBatcherOptions = {},
  ) {
    this.flushMs = opts.flushMs ?? 100;
    this.coalesceMs = Math.max(this.flushMs, opts.coalesceMs ?? 1000);
    this.coalesceMaxMs = Math.max(this.coalesceMs, opts.coalesceMaxMs ?? this.coalesceMs);
    this.perSecond = Math.max(1, opts.perSecond ?? 100);
    this.now = opts.now ?? Date.now;
  }

  /** The merging interval now: rooms being merged / perSecond, within [coalesceMs, coalesceMaxMs]. */
  get intervalMs(): number {
    const rooms = this.lastSent.size + this.pending.size;
    return Math.min(this.coalesceMaxMs, Math.max(this.coalesceMs, (rooms / this.perSecond) * 1000));
  }

  delivered(userId: string, m: MessageView): void {
    if (m.seq === null) return;
    const key = `${userId}|${m.roomId}`;
    let g = this.pending.get(key);
    if (!g) {
      const last = this.lastSent.get(key);
      g = {
        userId,
        roomId: m.roomId,
        ids: [],
        upTo: 0,
        group: Boolean(m.groupId),
        due: last === undefined ? 0 : last + this.intervalMs,
        ackedAt: this.now(),
      };
      this.pending.set(key, g);
    }
    g.ids.push(m.id);
    if (m.seq >= g.upTo) {
      g.upTo = m.seq;
      g.ackedAt = this.now();
      // the sender of the newest message hears "delivered" (its ticks turn ✓✓), as with an explicit receipt
      g.notify = m.senderId !== userId ? m.senderId : g.notify;
    }
    if (g.ids.length >= 500) g.due = 0;
    if (!this.timer) this.timer = setTimeout(() => void this.tick(), this.flushMs);
  }

  /** Sends every pending receipt now, due or not (used on shutdown). */
  flush(): Promise<void> {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    return this.send(Infinity);
  }

  private async tick(): Promise<void> {
    this.timer = null;
    const t = this.now();
    const interval = this.intervalMs;
    for (const [key, at] of this.lastSent) if (t - at >= interval) this.lastSent.delete(key);
    await this.send(t);
  }

  private async send(upTo: number): Promise<void> {
    const due: Array<[string, PendingReceipt]> = [];
    for (const entry of this.pending) if (entry[1].due <= upTo) due.push(entry);
    const sentAt = this.now();
    for (const [key] of due) {
      this.pending.delete(key);
      this.lastSent.set(key, sentAt);
    }
    if (this.pending.size > 0 && !this.timer) this.timer = setTimeout(() => void this.tick(), this.flushMs);
    await Promise.all(
      due.map(async ([, g]) => {
        const cmd: ReceiptCommand = {
          type: RoutingKeys.receipt,
          correlationId: randomUUID(),
          kind: 'delivered',
          userId: g.userId,
          roomId: g.roomId,
          messageIds: g.ids,
          upToSeq: g.upTo,
          ...(g.notify ? { notifyUserId: g.notify } : {}),
          ...(g.group ? { group: true } : {}),
          at: new Date(g.ackedAt).toISOString(),
        };
        try {
          await this.bus.publishConfirmed(this.bus.route(RoutingKeys.receipt, g.roomId), cmd, { correlationId: cmd.correlationId });
        } catch (err) {
          this.log.warn({ err: (err as Error).message, userId: g.userId, roomId: g.roomId }, 'delivery receipts not published');
        }
      }),
    );
  }
}
