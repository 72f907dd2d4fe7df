export interface CatchUpSteps<R> {
  /** Reads what the user must get (from the store); throws when it cannot. */
  read(userId: string): Promise<R>;
  /**
   * Hands a read over to the user's sockets. `release`: the read began after every hold, so the held live
   * deliveries may follow it; otherwise the sockets get what it holds and stay held for the next read.
   */
  apply(userId: string, result: R, release: boolean): Promise<void>;
  /** Whether the user still has a socket on this edge (no socket: nothing to catch up). */
  connected(userId: string): boolean;
  /** Called after the last failed attempt: the user's sockets must not stay held. */
  giveUp(userId: string, err: Error): void;
  /** A failed attempt that will be retried (first of every ten). */
  retrying(userId: string, attempt: number, err: Error): void;
  /** The user's deliveries were released: how long they were held, how many reads failed or were thrown away. */
  done?(userId: string, took: { ms: number; readMs: number; failed: number; discarded: number }): void;
}

/** Reads in a row a run throws away for newer requests before it hands one over anyway. */
export const MAX_DISCARDED_READS = 10;

interface Run {
  /** Set by a request that came after the current read began: that read is not handed over. */
  again: boolean;
  /** What the next read must wait for (the request's precondition, e.g. presence restored). */
  after: Promise<unknown> | null;
}

/**
 * At most one catch-up per user at a time: the connect-time sync of a new socket, and the catch-up after
 * Redis lost presence or the adapter's subscription. A Redis restart asks for the same users' catch-up several times
 * over (presence lapsed after the flush, again after the restart, the adapter's subscription came back);
 * with one chain per request a hundred users became three hundred store reads that retried together, and
 * the store, just back from its own outage, served them before the persistence workers' writes.
 *
 * The caller holds the user's live deliveries before it asks. A request that comes while the user's
 * catch-up is under way means deliveries may have been missed after its read began, so that read is not
 * handed over (handing it over would release the new hold with a read older than it): the store is read
 * again, once the request's precondition (`after`) has settled. Requests while a catch-up waits to retry
 * just join it.
 */
export class CatchUps<R> {
  private readonly runs = new Map<string, Run>();

  constructor(
    private readonly steps: CatchUpSteps<R>,
    private readonly opts: { attempts: number; retryMs: number } = { attempts: 60, retryMs: 1000 },
  ) {}

  /** Catch the user up once `after` (if given) has settled; the caller has already held the user's deliveries. */
  request(userId: string, after?: Promise<unknown>): void {
    const run = this.runs.get(userId);
    if (run) {
      run.again = true;
      if (after) run.after = run.after ? Promise.all([run.after, after]) : after;
      return;
    }
    const fresh: Run = { again: false, after: after ?? null };
    this.runs.set(userId, fresh);
    void this.run(userId, fresh);
  }

  /** Users with a catch-up under way or waiting to retry. */
  get pending(): number {
    return this.runs.size;
  }

  private async run(userId: string, run: Run): Promise<void> {
    let discarded = 0;
    let failed = 0;
    let readMs: number;
    const started = Date.now();
    try {
      for (let attempt = 0; ; attempt++) {
        if (run.after) {
          const after = run.after;
          await after.catch(() => undefined);
          if (run.after === after) run.after = null;
        }
        if (!this.steps.connected(userId)) return;
        run.again = false;
        try {
          const readStarted = Date.now();
          const result = await this.steps.read(userId);
          readMs = Date.now() - readStarted;
          // asked for again during the read: read again before releasing anything. Reads discarded in a row
          // are bounded (a device reconnecting every second, subscriptions dropping faster than a read):
          // past the bound the read is handed over but the hold stays, so the sockets are not starved, and
          // the loop reads again. Releasing it would let live deliveries past what it lacks, which the
          // sockets' ordered deliveries would then drop for good.
          if (run.again) {
            if (discarded++ < MAX_DISCARDED_READS) continue;
            run.again = false;
            discarded = 0;
            await this.steps.apply(userId, result, false);
            continue;
          }
          await this.steps.apply(userId, result, true);
          if (run.again) continue; // asked for again while handing over: its hold needs a read of its own
          this.steps.done?.(userId, { ms: Date.now() - started, readMs, failed, discarded });
          return;
        } catch (err) {
          failed++;
          if (!this.steps.connected(userId)) return;
          if (attempt + 1 < this.opts.attempts) {
            if (attempt % 10 === 0) this.steps.retrying(userId, attempt, err as Error);
            // spread the retries: every held user of an edge failed at the same moment
            await new Promise((r) => setTimeout(r, this.opts.retryMs * (0.5 + Math.random())).unref?.());
            continue;
          }
          this.steps.giveUp(userId, err as Error);
          return;
        }
      }
    } finally {
      // synchronously with the last check of `again`: a later request starts a run of its own
      this.runs.delete(userId);
    }
  }
}
