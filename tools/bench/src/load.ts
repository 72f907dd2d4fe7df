import * as hdr from 'hdr-histogram-js';
import type { Socket } from 'socket.io-client';
import { connectMany, makeUsers, request, type BenchUser } from './clients';

export interface StepResult {
  offeredRate: number;
  sent: number;
  acked: number;
  received: number;
  throughput: number;
  lost: number;
  duplicates: number;
  /** Sends refused with BUSY (the store was behind) and tried again after the delay the edge gave. */
  busy: number;
  ackMs: Percentiles;
  e2eMs: Percentiles;
}

export interface Percentiles {
  p50: number;
  p95: number;
  p99: number;
  max: number;
}

/** A Socket.IO acknowledgement: what was asked for, or the refusal. */
type Acked<T> = ({ ok: true } & T) | { ok: false; error: { code: string; retryAfterMs?: number } };

interface Pair {
  a: BenchUser;
  b: BenchUser;
  sa: Socket;
  sb: Socket;
  roomId: string;
}

const MARK = 'bench|';
/** A typing client's pace: the edge passes at most one start (and one stop) per 2 s per user and room. */
export const TYPING_EVERY_MS = 2000;

/** Content that carries its own id and send time, so any server speaking the contract can be measured. */
function body(id: number, size: number): string {
  const head = `${MARK}${id}|`;
  return head + 'x'.repeat(Math.max(0, size - head.length));
}
function idOf(content: string): number | null {
  if (!content.startsWith(MARK)) return null;
  return Number(content.slice(MARK.length, content.indexOf('|', MARK.length)));
}

function percentiles(h: hdr.Histogram): Percentiles {
  const ms = (v: number) => Math.round(v / 10) / 100; // histogram in microseconds
  return {
    p50: ms(h.getValueAtPercentile(50)),
    p95: ms(h.getValueAtPercentile(95)),
    p99: ms(h.getValueAtPercentile(99)),
    max: ms(h.maxValue),
  };
}

/**
 * Users in pairs over the edges. Each step sends at a fixed offered rate (open loop: a slow answer does
 * not slow the sender, so latency cannot hide), recognising every message by the id in its content.
 */
export class LoadGenerator {
  private pairs: Pair[] = [];
  private sentAt = new Map<number, number>();
  private seen = new Set<number>();
  private nextId = 1;
  private ack = hdr.build({ lowestDiscernibleValue: 1, highestTrackableValue: 120_000_000, numberOfSignificantValueDigits: 3 });
  private e2e = hdr.build({ lowestDiscernibleValue: 1, highestTrackableValue: 120_000_000, numberOfSignificantValueDigits: 3 });
  private recording = false;
  /** Ids sent inside the measurement window: their arrival counts whenever it happens. */
  private window: { from: number; to: number } = { from: 0, to: 0 };
  private counts = { sent: 0, acked: 0, received: 0, duplicates: 0, busy: 0 };

  constructor(
    private readonly urls: string[],
    private readonly namespace: string,
    private readonly auth: string,
    private readonly messageBytes: number,
  ) {}

  async setup(sockets: number): Promise<void> {
    const users = await makeUsers(this.auth, sockets - (sockets % 2));
    const socks = await connectMany(this.urls, this.namespace, users);
    for (let i = 0; i < users.length; i += 2) {
      const [a, b] = [users[i], users[i + 1]];
      const [sa, sb] = [socks[i], socks[i + 1]];
      const r = await request<Acked<{ roomId: string }>>(sa, 'join_or_create_room', { participantId: b.id });
      if (!r.ok) throw new Error(`join_or_create_room refused: ${JSON.stringify(r.error)}`);
      this.pairs.push({ a, b, sa, sb, roomId: r.roomId });
    }
    for (const s of socks) {
      s.on('typing', () => void this.typingReceived++);
      s.on('receive_message', (p: { message: { content: string } }, ack?: () => void) => {
        ack?.();
        const id = idOf(p.message.content);
        if (id === null) return;
        if (this.seen.has(id)) {
          this.counts.duplicates++;
          return;
        }
        this.seen.add(id);
        const t0 = this.sentAt.get(id);
        if (t0 === undefined) return;
        if (id >= this.window.from && id < this.window.to) {
          this.counts.received++;
          this.e2e.recordValue(Math.max(1, Math.round((performance.now() - t0) * 1000)));
        }
      });
    }
  }

  get socketCount(): number {
    return this.pairs.length * 2;
  }

  /** Typing events emitted in the last step, and `typing` events the sockets received (relayed by the edges). */
  typingSent = 0;
  typingReceived = 0;

  /**
   * Makes `share` of the sockets type while `run` goes on, as a typing client does within the server's
   * throttle (one start and one stop per 2 s per user and room): every TYPING_EVERY_MS while typing a
   * start, and every fifth time a stop (8 s typing, then a stop); each typist's phase is random.
   */
  private async whileTyping<T>(share: number, run: () => Promise<T>): Promise<T> {
    this.typingSent = 0;
    this.typingReceived = 0;
    const typists = Math.round(share * this.pairs.length * 2);
    if (typists === 0) return run();
    const sockets = this.pairs
      .flatMap((p) => [
        { s: p.sa, roomId: p.roomId },
        { s: p.sb, roomId: p.roomId },
      ])
      .slice(0, typists);
    const timers = sockets.map(({ s, roomId }) => {
      let n = Math.floor(Math.random() * 5);
      return setInterval(() => {
        s.emit('typing', { roomId, isTyping: ++n % 5 !== 0 });
        this.typingSent++;
      }, TYPING_EVERY_MS);
    });
    try {
      return await run();
    } finally {
      for (const t of timers) clearInterval(t);
    }
  }

  /** Sends at `rate`/s as `step` does while `typingShare` of the sockets type. */
  stepTyping(
    typingShare: number,
    rate: number,
    warmupS: number,
    durationS: number,
    onTick?: (fraction: number) => void,
  ): Promise<StepResult> {
    return this.whileTyping(typingShare, () => this.step(rate, warmupS, durationS, onTick));
  }

  /** Messages sent so far, warm-ups and the offline drain's included. */
  get sentSoFar(): number {
    return this.nextId - 1;
  }

  private sendOne(): void {
    const pair = this.pairs[this.nextId % this.pairs.length];
    const id = this.nextId++;
    const forward = (id >> 1) % 2 === 0;
    const [from, to] = forward ? [pair.sa, pair.b] : [pair.sb, pair.a];
    const t0 = performance.now();
    this.sentAt.set(id, t0);
    const recording = this.recording;
    if (recording) this.counts.sent++;
    const attempt = () =>
      from
        .timeout(30000)
        .emitWithAck('send_message', {
          receiverId: to.id,
          roomId: pair.roomId,
          content: body(id, this.messageBytes),
          clientMsgId: `b${id}`,
        })
        .then((r: { ok: boolean; error?: { code: string; retryAfterMs?: number } }) => {
          if (!r.ok && r.error?.code === 'BUSY') {
            // as an app does: the store is behind, so try again when the edge says (latency counts from the first try)
            if (recording) this.counts.busy++;
            setTimeout(() => void attempt(), r.error.retryAfterMs ?? 1000);
            return;
          }
          if (!recording || !r.ok) return;
          this.counts.acked++;
          this.ack.recordValue(Math.max(1, Math.round((performance.now() - t0) * 1000)));
        })
        .catch(() => undefined);
    // fire and forget: the attempt catches its own failure, and the counts record what came back
    void attempt();
  }

  /**
   * One message in every conversation, paced at `rate`/s, and waits until they arrived: the workers meet
   * each room for the first time here (the persistence worker reads a room once, on first touch), so the
   * steps measure the steady state. Returns how long the round took, in seconds.
   */
  async prime(rate: number): Promise<number> {
    const t0 = performance.now();
    const firstId = this.nextId;
    for (let i = 0; i < this.pairs.length; i++) {
      this.sendOne();
      await new Promise((r) => setTimeout(r, 1000 / rate));
    }
    const lastId = this.nextId;
    const deadline = Date.now() + 120_000;
    const arrived = () => {
      for (let id = firstId; id < lastId; id++) if (!this.seen.has(id)) return false;
      return true;
    };
    while (!arrived() && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
    for (let id = firstId; id < lastId; id++) this.sentAt.delete(id);
    return Math.round((performance.now() - t0) / 100) / 10;
  }

  /** Sends at `rate`/s for warm-up then measurement; returns what the measurement window saw. */
  async step(rate: number, warmupS: number, durationS: number, onTick?: (fraction: number) => void): Promise<StepResult> {
    this.ack.reset();
    this.e2e.reset();
    this.counts = { sent: 0, acked: 0, received: 0, duplicates: 0, busy: 0 };
    const firstId = this.nextId;
    const tickMs = 5;
    const total = (warmupS + durationS) * 1000;
    const start = performance.now();
    let issued = 0;
    let measuredFrom = 0;
    await new Promise<void>((resolve) => {
      const timer = setInterval(() => {
        const elapsed = performance.now() - start;
        if (!this.recording && elapsed >= warmupS * 1000) {
          this.recording = true;
          measuredFrom = this.nextId;
          this.window = { from: measuredFrom, to: Number.MAX_SAFE_INTEGER };
        }
        if (elapsed >= total) {
          clearInterval(timer);
          resolve();
          return;
        }
        // the schedule follows the clock, not the timer: a late tick sends what was due meanwhile
        const due = Math.floor((rate * elapsed) / 1000);
        while (issued < due) {
          this.sendOne();
          issued++;
        }
        onTick?.(elapsed / total);
      }, tickMs);
    });
    this.recording = false;
    const receivedInWindow = this.counts.received;
    const measuredTo = this.nextId;
    this.window = { from: measuredFrom, to: measuredTo };
    // let in-flight messages land (they still count: sent inside the window)
    const deadline = Date.now() + Math.max(5000, durationS * 1000);
    const missing = () => {
      let n = 0;
      for (let id = measuredFrom; id < measuredTo; id++) if (!this.seen.has(id)) n++;
      return n;
    };
    while (missing() > 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
    const lost = missing();
    this.window = { from: 0, to: 0 };
    for (let id = firstId; id < measuredTo; id++) this.sentAt.delete(id);
    return {
      offeredRate: rate,
      sent: this.counts.sent,
      acked: this.counts.acked,
      received: this.counts.received,
      // delivered per second while sending: what arrived after the window (a backlog draining) is not
      // sustained throughput, only latency (it still counts for loss)
      throughput: Math.round(Math.min(receivedInWindow, this.counts.sent) / durationS),
      lost,
      duplicates: this.counts.duplicates,
      busy: this.counts.busy,
      ackMs: percentiles(this.ack),
      e2eMs: percentiles(this.e2e),
    };
  }

  /** A user with K parked messages connects: messages per second until the last one arrives. */
  async offlineDrain(k: number): Promise<{
    messages: number;
    seconds: number;
    rate: number;
    connectedMs: number;
    firstMs: number | null;
    afterFirstRate: number | null;
  }> {
    const [sender, receiver] = await makeUsers(this.auth, 2);
    const [ss] = await connectMany(this.urls.slice(0, 1), this.namespace, [sender]);
    const room = await request<Acked<{ roomId: string }>>(ss, 'join_or_create_room', { participantId: receiver.id });
    if (!room.ok) throw new Error(`join_or_create_room refused: ${JSON.stringify(room.error)}`);
    // the sender hears message_sent once fanout has handled a message, in the same batch that parks it
    let handled = 0;
    ss.on('message_sent', () => void handled++);
    let acked = 0;
    const send = async (id: number): Promise<void> => {
      for (;;) {
        const r = await request<Acked<object>>(ss, 'send_message', {
          receiverId: receiver.id,
          roomId: room.roomId,
          content: body(id, this.messageBytes),
          clientMsgId: `o${id}`,
        });
        if (r.ok) return void acked++;
        if (r.error.code !== 'BUSY') throw new Error(`offline drain: send refused: ${JSON.stringify(r.error)}`);
        await new Promise((res) => setTimeout(res, r.error.retryAfterMs ?? 1000));
      }
    };
    for (let i = 0; i < k; i += 200) await Promise.all(Array.from({ length: Math.min(200, k - i) }, () => send(this.nextId++)));
    const deadline = performance.now() + 300_000;
    while (handled < acked && performance.now() < deadline) await new Promise((r) => setTimeout(r, 100));
    const t0 = performance.now();
    let got = 0;
    let last = t0;
    let first = 0;
    const [rs] = await connectMany(this.urls.slice(-1), this.namespace, [receiver]);
    const connected = performance.now();
    await new Promise<void>((resolve) => {
      const check = setInterval(() => {
        if (got >= k || performance.now() - t0 > 120000) {
          clearInterval(check);
          resolve();
        }
      }, 20);
      rs.on('receive_message', (p: { message: { content: string } }, ack?: () => void) => {
        ack?.();
        if (idOf(p.message.content) !== null) {
          got++;
          last = performance.now();
          if (got === 1) first = last;
        }
      });
    });
    rs.close();
    ss.close();
    const seconds = (last - t0) / 1000;
    const ms = (t: number) => Math.round(t - t0);
    // where the time went: the connect (handshake, token check), then the connect-time sync until the
    // first message, then the hand-over of the rest
    // the rate once the first message is in: the hand-over and the later pages, without the first read
    const afterFirstRate = first && last > first ? Math.round((got - 1) / ((last - first) / 1000)) : null;
    return {
      messages: got,
      seconds: Math.round(seconds * 100) / 100,
      rate: Math.round(got / seconds),
      connectedMs: ms(connected),
      firstMs: first ? ms(first) : null,
      afterFirstRate,
    };
  }

  close(): void {
    for (const p of this.pairs) {
      p.sa.close();
      p.sb.close();
    }
  }
}
