import type { Redis } from 'ioredis';

/** A summary older than this is a process that stopped publishing (dead or cut off): it is left out. */
const FRESH_MS = 15_000;

/**
 * Where every process's last-minute stage latencies (counts per bucket, see @chat/ops StageWindow) meet,
 * for the dashboard: one Redis hash, a field per process, each rewritten every few seconds. Counts add up
 * across processes, so the reader merges the fresh ones and reads percentiles from the sum.
 */
export class StageTimes {
  constructor(
    private readonly redis: Redis,
    private readonly ns: string,
    private readonly now: () => number = Date.now,
  ) {}

  private get key(): string {
    return `${this.ns}:stage-times`;
  }

  async publish(process: string, summary: object): Promise<void> {
    const value = JSON.stringify({ at: this.now(), summary });
    await this.redis
      .multi()
      .hset(this.key, process, value)
      .pexpire(this.key, 4 * FRESH_MS)
      .exec();
  }

  /** The fresh summaries, as published (the reader validates what it uses). */
  async read(): Promise<unknown[]> {
    const out: unknown[] = [];
    for (const raw of Object.values(await this.redis.hgetall(this.key))) {
      try {
        const r = JSON.parse(raw) as { at?: unknown; summary?: unknown };
        if (typeof r.at === 'number' && this.now() - r.at <= FRESH_MS && r.summary && typeof r.summary === 'object') out.push(r.summary);
      } catch {
        // not a summary of ours: ignored
      }
    }
    return out;
  }

  /**
   * Publishes `summary()` every `everyMs`, best effort (a failed write is tried again next time); returns the
   * stop. A stopped process's last summary stays until it is no longer fresh: what it saw did happen.
   */
  startPublishing(process: string, summary: () => object, everyMs = 5000): () => void {
    const timer = setInterval(() => void this.publish(process, summary()).catch(() => undefined), everyMs);
    timer.unref();
    return () => clearInterval(timer);
  }
}
