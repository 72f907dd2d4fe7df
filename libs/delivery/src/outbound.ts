import { createHash, createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import { Queue, Worker, type Job } from 'bullmq';
import type { Redis } from 'ioredis';

/** One POST to a receiver: a webhook batch or a push notification. */
export interface OutboundDelivery {
  kind: 'webhook' | 'push';
  url: string;
  /** Sent as X-Chat-Webhook-Id, the same on every retry: receivers drop a delivery they already took. */
  deliveryId: string;
  body: unknown;
}

export type OutboundKind = OutboundDelivery['kind'];

/** A delivery that used up its attempts, as /admin lists it. */
export interface OutboundDeadLetter {
  jobId: string;
  kind: OutboundKind;
  url: string;
  deliveryId: string;
  attempts: number;
  failedReason: string;
  failedAt: string | null;
  /** How many events the body carries (a webhook batch), or null. */
  events: number | null;
}

export interface OutboundCounts {
  waiting: number;
  active: number;
  delayed: number;
  failed: number;
}

export const OUTBOUND_QUEUE = 'outbound';
/** Default attempts per delivery: with the backoff below they span hours, so a receiver down for minutes misses nothing. */
export const OUTBOUND_ATTEMPTS = 15;
/**
 * Default dead letters kept (the newest): Redis runs noeviction, so a receiver gone for good would otherwise
 * grow the failed set until Redis refused every write, chat traffic included.
 */
export const OUTBOUND_DEAD_LETTERS_MAX = 10_000;
const BACKOFF_TYPE = 'jitter';
const BACKOFF_BASE_MS = 1000;
const BACKOFF_CAP_MS = 3_600_000;
const JOB_ID = /^o[0-9a-f]{40}$/;

/** `v1=` + hex HMAC-SHA256 over `${timestamp}.${body}` (the timestamp in seconds). */
export function signOutbound(secret: string, timestamp: number, body: string): string {
  return `v1=${createHmac('sha256', secret).update(`${timestamp}.${body}`).digest('hex')}`;
}

/** Whether a signature header matches the body and a timestamp within `toleranceS` of now (constant-time compare). */
export function verifyOutbound(
  secret: string,
  timestamp: number,
  body: string,
  header: string,
  toleranceS = 300,
  nowS = Date.now() / 1000,
): boolean {
  if (!Number.isFinite(timestamp) || Math.abs(nowS - timestamp) > toleranceS) return false;
  const expected = Buffer.from(signOutbound(secret, timestamp, body));
  const given = Buffer.from(header);
  return expected.length === given.length && timingSafeEqual(expected, given);
}

/** The BullMQ job id of a delivery: the same delivery queued twice (a redelivered batch) is one job. */
export function outboundJobId(d: Pick<OutboundDelivery, 'kind' | 'deliveryId' | 'url'>): string {
  return `o${createHash('sha256').update(`${d.kind}\n${d.deliveryId}\n${d.url}`).digest('hex').slice(0, 40)}`;
}

export function isOutboundJobId(id: string): boolean {
  return JOB_ID.test(id);
}

/**
 * The wait before attempt `attemptsMade + 1`: doubling from the base, capped at an hour, each wait drawn
 * between half and all of it so receivers coming back are not hit by every sender at the same moment.
 */
export function outboundBackoff(attemptsMade: number, baseMs = BACKOFF_BASE_MS, random = Math.random): number {
  const full = Math.min(BACKOFF_CAP_MS, baseMs * 2 ** Math.max(0, attemptsMade - 1));
  return Math.round(full * (0.5 + random() * 0.5));
}

/**
 * The queue of outgoing deliveries (one BullMQ queue under the namespace). Jobs that used up their attempts
 * stay in the failed set, the newest `deadLetterMax` of them: they are the dead letters, listed and replayed from /admin. Completed jobs are
 * kept ten minutes so a delivery queued again meanwhile (a batch redelivered after a worker died) is one job.
 */
export class OutboundQueue {
  private readonly queue: Queue;
  private readonly attempts: number;
  private readonly deadLetterMax: number;
  /** What this process queued lately, oldest first, to queue again should Redis lose it. */
  private recent: Array<{ at: number; deliveries: OutboundDelivery[] }> = [];
  private remembered = 0;
  private readonly rememberMs: number;
  private readonly rememberMax: number;
  private readonly aliveKey: string;
  private guard: NodeJS.Timeout | null = null;
  private checking = false;

  constructor(
    private readonly redis: Redis,
    ns: string,
    opts: {
      attempts?: number;
      /** Dead letters kept, the newest (OUTBOUND_DEAD_LETTERS_MAX). */
      deadLetterMax?: number;
      /**
       * How long a queued delivery is remembered (0: not at all), and at most how many: Redis that comes back
       * empty (a restart without persistence) loses the jobs waiting in it, and the ones queued in this window,
       * which holds everything waiting while receivers answer, are queued again.
       */
      rememberMs?: number;
      rememberMax?: number;
      /** How often the loss is looked for. */
      guardMs?: number;
      onRequeued?: (deliveries: number) => void;
    } = {},
  ) {
    this.queue = new Queue(OUTBOUND_QUEUE, { connection: redis, prefix: `${ns}:bull` });
    this.queue.on('error', () => undefined); // connection errors surface on the awaited calls
    this.attempts = opts.attempts ?? OUTBOUND_ATTEMPTS;
    this.deadLetterMax = opts.deadLetterMax ?? OUTBOUND_DEAD_LETTERS_MAX;
    this.rememberMs = opts.rememberMs ?? 20_000;
    this.rememberMax = opts.rememberMax ?? 5_000;
    // a key of this process's own: another process that saw the loss first and set its key back does not hide it
    this.aliveKey = `${ns}:outbound:alive:${randomBytes(6).toString('hex')}`;
    if (this.rememberMs > 0) {
      const onRequeued = opts.onRequeued;
      this.guard = setInterval(() => void this.requeueIfLost(onRequeued), opts.guardMs ?? 1000);
      this.guard.unref();
    }
  }

  async add(deliveries: OutboundDelivery[]): Promise<void> {
    if (deliveries.length === 0) return;
    await this.queue.addBulk(deliveries.map((d) => this.job(d)));
    if (this.rememberMs > 0) this.remember(deliveries);
  }

  private job(d: OutboundDelivery) {
    return {
      name: d.kind,
      data: d,
      opts: {
        jobId: outboundJobId(d),
        attempts: this.attempts,
        backoff: { type: BACKOFF_TYPE },
        removeOnComplete: { age: 600, count: 10_000 },
        removeOnFail: { count: this.deadLetterMax },
      },
    };
  }

  private remember(deliveries: OutboundDelivery[]): void {
    const now = Date.now();
    this.recent.push({ at: now, deliveries });
    this.remembered += deliveries.length;
    while (this.recent.length > 0 && (this.recent[0].at < now - this.rememberMs || this.remembered > this.rememberMax)) {
      this.remembered -= this.recent.shift()!.deliveries.length;
    }
  }

  /**
   * Redis lost its data when this process's key is gone (EXPIRE answers 0): what was queued lately goes in
   * again under the same job ids (a receiver may get a delivery twice, with the same X-Chat-Webhook-Id).
   */
  private async requeueIfLost(onRequeued?: (deliveries: number) => void): Promise<void> {
    if (this.checking) return;
    this.checking = true;
    try {
      const alive = await this.redis.expire(this.aliveKey, 3600);
      if (alive === 1) return;
      const cutoff = Date.now() - this.rememberMs;
      const again = this.recent.filter((r) => r.at >= cutoff).flatMap((r) => r.deliveries);
      if (again.length > 0) await this.queue.addBulk(again.map((d) => this.job(d)));
      await this.redis.set(this.aliveKey, '1', 'EX', 3600);
      if (again.length > 0) onRequeued?.(again.length);
    } catch {
      // Redis is away: looked at again on the next tick
    } finally {
      this.checking = false;
    }
  }

  async counts(): Promise<OutboundCounts> {
    const c = await this.queue.getJobCounts('waiting', 'active', 'delayed', 'failed', 'prioritized');
    return { waiting: (c.waiting ?? 0) + (c.prioritized ?? 0), active: c.active ?? 0, delayed: c.delayed ?? 0, failed: c.failed ?? 0 };
  }

  /** Dead letters, newest first. */
  async deadLetters(offset: number, limit: number): Promise<OutboundDeadLetter[]> {
    const jobs = (await this.queue.getJobs(['failed'], offset, offset + limit - 1, false)) as Array<Job<OutboundDelivery> | undefined>;
    return jobs
      .filter((j): j is Job<OutboundDelivery> => Boolean(j?.data))
      .map((j) => {
        const events = (j.data.body as { events?: unknown } | null)?.events;
        return {
          jobId: String(j.id),
          kind: j.data.kind,
          url: j.data.url,
          deliveryId: j.data.deliveryId,
          attempts: j.attemptsMade,
          failedReason: j.failedReason ?? '',
          failedAt: j.finishedOn ? new Date(j.finishedOn).toISOString() : null,
          events: Array.isArray(events) ? events.length : null,
        };
      });
  }

  /** Sends a dead letter again with a fresh set of attempts; false when no dead letter has that id. */
  async replay(jobId: string): Promise<boolean> {
    if (!isOutboundJobId(jobId)) return false;
    const job = await this.queue.getJob(jobId);
    if (!job || !(await job.isFailed())) return false;
    await job.retry('failed', { resetAttemptsMade: true, resetAttemptsStarted: true });
    return true;
  }

  async close(): Promise<void> {
    if (this.guard) clearInterval(this.guard);
    await this.redis.del(this.aliveKey).catch(() => undefined);
    await this.queue.close();
  }
}

export type OutboundOutcome = 'sent' | 'retry' | 'dead';

export interface OutboundSenderOptions {
  /** The signing secret per kind (WEBHOOK_SECRET, PUSH_SECRET); a delivery of a kind without one fails. */
  secrets: Partial<Record<OutboundKind, string>>;
  /** Per-request timeout. */
  timeoutMs: number;
  concurrency?: number;
  /** First retry wait (doubled per attempt); only tests shorten it. */
  backoffBaseMs?: number;
  /**
   * How long a worker holds a job without renewing its lock: a process killed mid-send leaves its jobs locked,
   * and another copy takes them over within about twice this.
   */
  lockMs?: number;
  onOutcome?: (kind: OutboundKind, outcome: OutboundOutcome) => void;
  onError?: (err: Error) => void;
}

/**
 * Sends the outbound queue's deliveries (a BullMQ worker; every fanout process runs one). Each attempt is a
 * POST of the JSON body signed with the kind's secret over a fresh timestamp; a network error, a timeout or
 * any answer but 2xx fails the attempt, and BullMQ retries it after the backoff.
 * `connection` is used for blocking reads: give it a connection of its own (maxRetriesPerRequest: null).
 */
export class OutboundSender {
  private readonly worker: Worker<OutboundDelivery>;

  constructor(
    connection: Redis,
    ns: string,
    private readonly o: OutboundSenderOptions,
  ) {
    const lockMs = o.lockMs ?? 15_000;
    this.worker = new Worker<OutboundDelivery>(OUTBOUND_QUEUE, (job) => this.send(job.data), {
      connection,
      prefix: `${ns}:bull`,
      concurrency: o.concurrency ?? 16,
      lockDuration: lockMs,
      stalledInterval: lockMs,
      // a delivery caught by several crashes in a row is still sent, not failed
      maxStalledCount: 10,
      settings: { backoffStrategy: (attemptsMade: number) => outboundBackoff(attemptsMade, o.backoffBaseMs) },
    });
    this.worker.on('failed', (job) => {
      if (!job) return;
      const dead = job.attemptsMade >= (job.opts.attempts ?? 1);
      o.onOutcome?.(job.data.kind, dead ? 'dead' : 'retry');
    });
    this.worker.on('completed', (job) => o.onOutcome?.(job.data.kind, 'sent'));
    this.worker.on('error', (err) => o.onError?.(err));
  }

  private async send(d: OutboundDelivery): Promise<void> {
    const secret = this.o.secrets[d.kind];
    if (!secret) throw new Error(`no secret configured for ${d.kind} deliveries`);
    const body = JSON.stringify(d.body);
    const timestamp = Math.floor(Date.now() / 1000);
    const res = await fetch(d.url, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        'x-chat-webhook-id': d.deliveryId,
        'x-chat-timestamp': String(timestamp),
        'x-chat-signature': signOutbound(secret, timestamp, body),
      },
      body,
      // a receiver's redirect is a failed attempt, not a signed POST to wherever it points (an internal host)
      redirect: 'manual',
      signal: AbortSignal.timeout(this.o.timeoutMs),
    });
    await res.arrayBuffer().catch(() => undefined); // frees the connection for the next delivery
    if (!res.ok) throw new Error(`receiver answered ${res.status}`);
  }

  async close(): Promise<void> {
    await this.worker.close();
  }
}
