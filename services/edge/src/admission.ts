import { Busy } from '@chat/contracts';
import type { Logger } from '@chat/logging';
import { admissionLag, admissionQueued, sendsRefused } from '@chat/ops';

/** Where the edge learns how far behind the store is. */
export interface LoadSignals {
  /**
   * The persistence workers' fresh reports together: the largest lag (ms), the commands they hold, and what
   * they store per second while busy (null: not known yet); null when none reported.
   */
  store(): Promise<{ lagMs: number; inHand: number; perSecond: number | null } | null>;
  /** Commands waiting in the persistence queues (not yet handed to a worker), or null when the broker did not answer. */
  queued(): Promise<number | null>;
}

export interface AdmissionOptions {
  maxLagMs: number;
  maxQueued: number;
  pollMs: number;
  random?: () => number;
}

/**
 * Backpressure at the door: when the store falls behind, sends are refused with a retryable BUSY and a
 * delay, instead of being acknowledged and queued for minutes. The signal, read every pollMs, is how long
 * a command sent now would wait: the backlog (waiting in the queues plus held by the workers) over what the
 * workers store per second while busy, or the workers' measured lag (the age of the oldest command they
 * hold) if that is longer. The measured lag alone answers late: it describes commands taken a lag ago. The
 * queue depth also stands on its own (ADMISSION_MAX_QUEUED), for workers that are down and report nothing.
 * Read asynchronously, so a send costs no round trip.
 *
 * The refusal is gradual (random early refusal, as routers drop packets before their queue is full): from
 * half the limit up, a growing share of sends is refused, all of them at the limit. A door that only opens
 * and shuts lets every waiting client in at once each time it opens, and the lag swings far past the limit
 * (the signal arrives a poll late); the gradual one settles where the store keeps up.
 */
export class Admission {
  private lagMs = 0;
  private queuedNow = 0;
  private timer: NodeJS.Timeout | null = null;
  private refusing: 'lag' | 'queued' | null = null;
  /** The share of sends refused now, 0 to 1. */
  private share = 0;
  private readonly random: () => number;
  private queuedReadAt = 0;

  constructor(
    private readonly signals: LoadSignals,
    private readonly opts: AdmissionOptions,
    private readonly log: Logger,
  ) {
    this.random = opts.random ?? Math.random;
  }

  start(): void {
    const tick = () => {
      this.poll()
        .catch((err: Error) => this.log.warn({ err: err.message }, 'admission signals could not be read'))
        .finally(() => {
          if (this.timer) this.timer = setTimeout(tick, this.opts.pollMs);
        });
    };
    this.timer = setTimeout(tick, 0);
  }

  stop(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
  }

  async poll(): Promise<void> {
    // the depth costs the broker a round trip per queue: read it at most once a second (the lag reports, from
    // Redis, every poll)
    const readQueued = Date.now() - this.queuedReadAt >= Math.max(1000, this.opts.pollMs);
    if (readQueued) this.queuedReadAt = Date.now();
    const [store, queued] = await Promise.all([
      this.signals.store().catch(() => null),
      readQueued ? this.signals.queued().catch(() => null) : Promise.resolve(null),
    ]);
    // a signal that could not be read keeps its last value rather than opening the door on an outage
    if (queued !== null) this.queuedNow = queued;
    // no fresh report (Redis down, or no worker alive): the queue depth alone decides, rather than a lag
    // last read before the reports stopped
    if (store === null) this.lagMs = 0;
    else {
      const predicted = store.perSecond ? ((this.queuedNow + store.inHand) * 1000) / store.perSecond : 0;
      this.lagMs = Math.max(store.lagMs, predicted);
    }
    admissionLag.set(this.lagMs / 1000);
    admissionQueued.set(this.queuedNow);
    const was = this.refusing;
    const byLag = ramp(this.lagMs, this.opts.maxLagMs);
    const byQueued = ramp(this.queuedNow, this.opts.maxQueued);
    this.share = Math.max(byLag, byQueued);
    this.refusing = this.share === 0 ? null : byLag >= byQueued ? 'lag' : 'queued';
    if (this.refusing !== was)
      this.log.warn(
        { lagMs: this.lagMs, queued: this.queuedNow, refusing: this.refusing },
        this.refusing ? 'store behind: refusing some sends with BUSY' : 'store caught up: taking every send again',
      );
  }

  /** Throws Busy for the share of sends the store's lag calls for. */
  check(): void {
    if (!this.refusing || this.random() >= this.share) return;
    sendsRefused.inc({ reason: this.refusing });
    // longer the further behind, spread so refused clients do not come back together
    const base = Math.min(5000, 500 + this.share * Math.max(this.lagMs, this.opts.maxLagMs));
    throw new Busy(Math.round(base * (0.5 + this.random())));
  }

  state(): { lagMs: number; queued: number; refusing: 'lag' | 'queued' | null; share: number } {
    return { lagMs: this.lagMs, queued: this.queuedNow, refusing: this.refusing, share: this.share };
  }
}

/** 0 below half the limit, rising to 1 at the limit. */
function ramp(value: number, limit: number): number {
  return Math.min(1, Math.max(0, (value - limit / 2) / (limit / 2)));
}
