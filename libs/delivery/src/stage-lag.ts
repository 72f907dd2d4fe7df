import type { Redis } from 'ioredis';

/** What one worker copy says of itself: its lag, the commands it holds, and what it handles per second while busy. */
export interface StageReport {
  lagMs: number;
  inHand: number;
  perSecond: number | null;
}

/** A report older than this is a worker that stopped reporting (dead or cut off): it is left out. */
const FRESH_MS = 3000;

/**
 * How far behind a stage's workers are: each copy reports the age of the oldest command it holds and has
 * not finished (its lag), and the edges read the largest fresh report to decide whether to take more work.
 * One Redis hash per stage, a field per worker copy; best effort both ways (a Redis outage leaves the
 * edges with the queue depth alone).
 */
export class StageLag {
  constructor(
    private readonly redis: Redis,
    private readonly ns: string,
    private readonly now: () => number = Date.now,
  ) {}

  private key(stage: string): string {
    return `${this.ns}:lag:${stage}`;
  }

  async report(stage: string, instance: string, r: StageReport): Promise<void> {
    const key = this.key(stage);
    const value = {
      lagMs: Math.round(r.lagMs),
      inHand: r.inHand,
      perSecond: r.perSecond === null ? null : Math.round(r.perSecond),
      at: this.now(),
    };
    await this.redis.multi().hset(key, instance, JSON.stringify(value)).pexpire(key, 60_000).exec();
  }

  /**
   * The stage as its fresh reports describe it: the largest lag, what all copies hold, and what they handle
   * per second together (null when no copy knows yet). Null when no copy reported in the last few seconds.
   */
  async read(stage: string): Promise<StageReport | null> {
    const all = await this.redis.hgetall(this.key(stage));
    let out: StageReport | null = null;
    for (const raw of Object.values(all)) {
      let r: { lagMs?: unknown; inHand?: unknown; perSecond?: unknown; at?: unknown };
      try {
        r = JSON.parse(raw) as typeof r;
      } catch {
        continue; // not a report of ours: ignored
      }
      if (typeof r.lagMs !== 'number' || typeof r.at !== 'number' || this.now() - r.at > FRESH_MS) continue;
      out ??= { lagMs: 0, inHand: 0, perSecond: null };
      out.lagMs = Math.max(out.lagMs, r.lagMs);
      out.inHand += typeof r.inHand === 'number' ? r.inHand : 0;
      if (typeof r.perSecond === 'number') out.perSecond = (out.perSecond ?? 0) + r.perSecond;
    }
    return out;
  }

  async forget(stage: string, instance: string): Promise<void> {
    await this.redis.hdel(this.key(stage), instance);
  }
}
