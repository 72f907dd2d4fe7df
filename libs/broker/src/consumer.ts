import type { ChannelWrapper } from 'amqp-connection-manager';
import type { ConfirmChannel, ConsumeMessage } from 'amqplib';
import type { Logger } from '@chat/logging';
import { consumed, deadLettered, oldestMessageAge } from '@chat/ops';
import { assertTopology, type BrokerConnection } from './connection';
import { PUBLISHED_AT_HEADER } from './publisher';
import type { Topology } from './topology';

export interface Delivery<T> {
  payload: T;
  headers: Record<string, unknown>;
  redelivered: boolean;
}

/** What happens to one delivery after its batch: ack it, or dead-letter it now. */
export type Outcome = 'ack' | 'dead';

/**
 * Attempts, in process, for a delivery that fails on its own with an error not known as transient, before
 * it is dead-lettered (0.1, 0.2 and 0.4 s apart). In process, not requeued: the broker would hand a
 * requeued delivery out again behind the ones already buffered here, which would then be handled first,
 * out of their queue's order.
 */
const ATTEMPTS = 4;

/** Thrown by a handler when the whole batch should wait and retry in-process (a dependency is down). */
export class TransientError extends Error {}

export interface ConsumerOptions<T> {
  queues: string[];
  prefetch: number;
  batchMax: number;
  /** Runtime check of the payload shape; a payload that fails goes straight to the dead-letter queue. */
  decode: (raw: unknown) => T;
  handle: (batch: Delivery<T>[]) => Promise<Outcome[] | void>;
  /**
   * UNSAFE, for proving that the fault tests can see loss: ack each delivery as it arrives, before it is
   * handled, so a crash loses what was in hand. Never set in a real deployment (config refuses it in production).
   */
  ackOnReceipt?: boolean;
  /**
   * UNSAFE, for proving that the fault tests can see reordering: a batch that failed on a dependency is
   * handed back to the broker (requeued) while the deliveries buffered behind it go on. Config refuses it in production.
   */
  requeueFailed?: boolean;
  /**
   * Called each time the channel closes and again when it is reopened, before it consumes: whatever the
   * handler kept about its partitions may be stale, as they may be another consumer's meanwhile.
   */
  onChannel?: () => void;
}

interface Pending<T> {
  ch: ConfirmChannel;
  msg: ConsumeMessage;
  delivery: Delivery<T>;
}

/**
 * Consumes queues with manual acks and a bounded prefetch, handing the handler batches of whatever has
 * arrived. Each queue is processed one batch at a time, so the order inside a queue is kept. A delivery is
 * acked only after its batch was handled; a channel lost meanwhile means the broker redelivers it.
 */
export class BatchConsumer<T> {
  private readonly channel: ChannelWrapper;
  private readonly buffers = new Map<string, Pending<T>[]>();
  private readonly busy = new Set<string>();
  private stopping = false;
  private readonly acked = new WeakSet<ConsumeMessage>();
  private inFlight = 0;
  /** Per queue, when the oldest delivery in hand (the running batch's first, or else the buffer's) was published. */
  private readonly oldestInHand = new Map<string, number>();
  /** Deliveries in batches being handled now. */
  private handling = 0;
  /** Capacity accounting: deliveries completed and time spent holding any, per 500 ms slot. */
  private window: Array<{ done: number; busyMs: number }> = [];
  private slot = { done: 0, busyMs: 0 };
  private slotStart = Date.now();
  private busySince: number | null = null;

  constructor(
    conn: BrokerConnection,
    topology: Topology,
    private readonly opts: ConsumerOptions<T>,
    private readonly log: Logger,
  ) {
    this.channel = conn.createChannel({
      name: `consumer:${opts.queues[0]}`,
      confirm: true,
      setup: async (ch: ConfirmChannel) => {
        await assertTopology(ch, topology);
        ch.once('close', () => {
          closedChannels.add(ch);
          opts.onChannel?.();
        });
        await ch.prefetch(opts.prefetch);
        opts.onChannel?.();
        for (const q of opts.queues) {
          await ch.consume(q, (msg) => msg && this.receive(q, ch, msg), { noAck: false });
        }
      },
    });
  }

  waitForConnect(): Promise<void> {
    return this.channel.waitForConnect();
  }

  /**
   * How long the oldest delivery this consumer holds has waited since it was published (0 when it holds
   * none): the stage's lag, as far as this copy can tell (what is still in the broker is younger).
   */
  lagMs(now = Date.now()): number {
    let oldest = Infinity;
    for (const t of this.oldestInHand.values()) oldest = Math.min(oldest, t);
    return oldest === Infinity ? 0 : Math.max(0, now - oldest);
  }

  /** Deliveries held now: buffered, or in a batch being handled. */
  inHand(): number {
    let n = this.handling;
    for (const buf of this.buffers.values()) n += buf.length;
    return n;
  }

  /**
   * What this copy handles per second while it has work (completed deliveries over the time it held any),
   * over the last few seconds: with the backlog, how long a new command will wait. Null before it has any.
   */
  capacityPerSecond(now = Date.now()): number | null {
    this.account(now);
    const done = this.window.reduce((n, w) => n + w.done, 0);
    const busy = this.window.reduce((n, w) => n + w.busyMs, 0);
    return busy < 50 ? null : (done * 1000) / busy;
  }

  /** Rolls the busy-time accounting up to now (call it around every change of what is in hand), in 500 ms slots, keeping the last 4 s. */
  private account(now: number): void {
    if (this.busySince !== null) this.slot.busyMs += now - this.busySince;
    this.busySince = this.inHand() > 0 ? now : null;
    if (now - this.slotStart >= 500) {
      this.window.push(this.slot);
      if (this.window.length > 8) this.window.shift();
      this.slot = { done: 0, busyMs: 0 };
      this.slotStart = now;
    }
  }

  private receive(queue: string, ch: ConfirmChannel, msg: ConsumeMessage): void {
    if (this.stopping) return; // unacked; the broker redelivers it to another consumer when we close
    let payload: T;
    try {
      payload = this.opts.decode(JSON.parse(msg.content.toString('utf8')));
    } catch (err) {
      this.log.error({ queue, err: (err as Error).message }, 'undecodable message dead-lettered');
      this.settle(ch, msg, 'dead', queue);
      return;
    }
    if (this.opts.ackOnReceipt) this.settle(ch, msg, 'ack', queue);
    this.account(Date.now());
    const buf = this.buffers.get(queue) ?? [];
    buf.push({ ch, msg, delivery: { payload, headers: msg.properties.headers ?? {}, redelivered: msg.fields.redelivered } });
    this.buffers.set(queue, buf);
    this.account(Date.now());
    if (!this.oldestInHand.has(queue)) this.oldestInHand.set(queue, publishedAtMs(msg));
    if (!this.busy.has(queue)) {
      this.busy.add(queue);
      setImmediate(() => void this.drain(queue));
    }
  }

  private async drain(queue: string): Promise<void> {
    const buf = this.buffers.get(queue) ?? [];
    while (buf.length > 0 && !this.stopping) {
      this.dropOrphans(buf);
      this.noteOldest(queue, buf);
      if (buf.length === 0) break;
      const batch = buf.splice(0, this.opts.batchMax);
      this.inFlight++;
      this.handling += batch.length;
      try {
        await this.runBatch(queue, batch);
      } finally {
        this.inFlight--;
        this.account(Date.now());
        this.handling -= batch.length;
        this.slot.done += batch.length;
        this.account(Date.now());
        this.noteOldest(queue, buf);
      }
    }
    this.noteOldest(queue, buf);
    this.busy.delete(queue);
  }

  /** The queue's oldest delivery in hand is the buffer's first (none when it is empty: no lag left behind). */
  private noteOldest(queue: string, buf: Pending<T>[]): void {
    if (buf.length > 0) this.oldestInHand.set(queue, publishedAtMs(buf[0].msg));
    else this.oldestInHand.delete(queue);
  }

  /**
   * Forgets buffered deliveries whose channel has closed (the broker went away, or the connection did): the
   * broker hands them out again, in order, behind the ones that were in hand when the channel closed.
   * Handling them here as well would run them before those: a room's later messages stored and announced
   * ahead of earlier ones that are only replayed after the reconnect, whose lower seqs every receiver's
   * gate then drops. (Deliveries already acked on receipt, in the unsafe test mode, are kept: nobody
   * hands them out again.)
   */
  private dropOrphans(buf: Pending<T>[]): void {
    let kept = 0;
    for (const p of buf) if (!this.orphaned([p])) buf[kept++] = p;
    if (kept < buf.length) {
      this.log.warn({ dropped: buf.length - kept }, 'channel closed: dropping buffered deliveries the broker will hand out again');
      buf.length = kept;
    }
  }

  /** True when every delivery's channel has closed, so the broker hands them out again (unless acked on receipt). */
  private orphaned(batch: Pending<T>[]): boolean {
    return !this.opts.ackOnReceipt && !batch.some((p) => isOpen(p.ch));
  }

  private async runBatch(queue: string, batch: Pending<T>[]): Promise<void> {
    if (this.orphaned(batch)) return; // its channel closed meanwhile: see dropOrphans
    // the batch's first is the queue's oldest in hand
    oldestMessageAge.set({ queue }, Math.max(0, (Date.now() - publishedAtMs(batch[0].msg)) / 1000));
    let failures = 0;
    for (let attempt = 0; ; attempt++) {
      try {
        const outcomes = (await this.opts.handle(batch.map((p) => p.delivery))) ?? [];
        batch.forEach((p, i) => this.settle(p.ch, p.msg, outcomes[i] ?? 'ack', queue));
        return;
      } catch (err) {
        if (err instanceof TransientError && this.opts.requeueFailed && batch.some((p) => isOpen(p.ch))) {
          this.log.warn({ queue, size: batch.length, err: err.message }, 'UNSAFE_REQUEUE_FAILED: batch handed back to the broker');
          batch.forEach((p) => this.settle(p.ch, p.msg, 'requeue', queue));
          return;
        }
        if (err instanceof TransientError && !this.stopping && batch.some((p) => isOpen(p.ch))) {
          const delay = Math.min(5000, 100 * 2 ** Math.min(attempt, 6));
          this.log.warn({ queue, attempt, delay, err: err.message }, 'batch failed on a dependency; retrying');
          await new Promise((r) => setTimeout(r, delay));
          continue;
        }
        if (this.orphaned(batch)) {
          // the broker hands these out again (in order, with what was buffered behind them): nothing to settle
          this.log.warn(
            { queue, err: (err as Error).message, size: batch.length },
            'batch failed and its channel closed; the broker redelivers it',
          );
          return;
        }
        if (batch.length > 1 && !(err instanceof TransientError)) {
          // one bad delivery must not take its batch-mates with it: handle them one by one, in order
          this.log.warn({ queue, err: (err as Error).message, size: batch.length }, 'batch failed; retrying its deliveries one by one');
          for (const p of batch) await this.runBatch(queue, [p]);
          return;
        }
        failures++;
        if (this.stopping) return; // unsettled: the broker hands it out again, in order, when the channel closes
        if (failures < ATTEMPTS) {
          const delay = 100 * 2 ** (failures - 1);
          this.log.warn(
            { queue, failures, delay, err: (err as Error).message },
            'delivery failed; trying it again before the ones behind it',
          );
          await new Promise((r) => setTimeout(r, delay));
          if (this.orphaned(batch)) return; // see dropOrphans
          continue;
        }
        this.log.error({ queue, failures, err: (err as Error).message }, 'delivery kept failing; dead-lettered');
        batch.forEach((p) => this.settle(p.ch, p.msg, 'dead', queue));
        return;
      }
    }
  }

  private settle(ch: ConfirmChannel, msg: ConsumeMessage, outcome: Outcome | 'requeue', queue: string): void {
    if (this.opts.ackOnReceipt && this.acked.has(msg)) return; // already acked on receipt (unsafe mode)
    if (this.opts.ackOnReceipt) this.acked.add(msg);
    if (!isOpen(ch)) return; // delivery tag died with its channel; the broker redelivers the message
    try {
      if (outcome === 'ack') ch.ack(msg);
      else ch.nack(msg, false, outcome === 'requeue');
      consumed.inc({ queue, outcome });
      if (outcome === 'dead') deadLettered.inc({ queue });
    } catch (err) {
      this.log.warn({ err: (err as Error).message }, 'could not settle a delivery; it will be redelivered');
    }
  }

  /** Stops taking deliveries, waits for the batches in hand, then closes the channel (unacked ones return to the queue). */
  async close(): Promise<void> {
    this.stopping = true;
    const deadline = Date.now() + 10_000;
    while (this.inFlight > 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    await this.channel.close();
  }
}

/** When a delivery was published: the publisher's millisecond header, else the AMQP timestamp (seconds). */
function publishedAtMs(msg: ConsumeMessage): number {
  const ms = Number(msg.properties.headers?.[PUBLISHED_AT_HEADER]);
  if (Number.isFinite(ms) && ms > 0) return ms;
  const s = Number(msg.properties.timestamp);
  return s > 0 ? s * 1000 : Date.now();
}

/** Channels that closed: their delivery tags are void, and acking one would kill the new channel. */
const closedChannels = new WeakSet<ConfirmChannel>();

function isOpen(ch: ConfirmChannel): boolean {
  return !closedChannels.has(ch);
}
