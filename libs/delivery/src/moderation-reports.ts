import type { Redis } from 'ioredis';

/** What one persistence worker's moderation did since it started. */
export interface ModerationReport {
  failure: 'open' | 'closed';
  /** Messages by verdict: let through, rejected, redacted. */
  allowed: number;
  rejected: number;
  redacted: number;
  /** Messages the hook gave no usable verdict for (MODERATION_FAILURE decided them; counted above too). */
  unanswered: number;
  requests: number;
  failedRequests: number;
  /** Of the worker's last requests (up to 200), answered or not; null before the first. */
  latencyMs: { p50: number; p99: number; max: number } | null;
  startedAt: number;
}

export interface ModerationOverview {
  /** The workers that reported in the last FRESH_MS, each with its report. */
  workers: Array<ModerationReport & { instance: string; at: number }>;
  /** Their counts added up (latency: the highest p50/p99/max of any), or null when none reported. */
  total: Omit<ModerationReport, 'failure' | 'startedAt'> | null;
}

const FRESH_MS = 30_000;

/**
 * The moderation counts the /admin page shows: each persistence worker writes its own every few seconds to
 * one Redis hash (a field per worker), any edge reads them all. Best effort, like StageLag; the same counts
 * are on each worker's /metrics for Prometheus.
 */
export class ModerationReports {
  constructor(
    private readonly redis: Redis,
    private readonly ns: string,
    private readonly now: () => number = Date.now,
  ) {}

  private key(): string {
    return `${this.ns}:moderation`;
  }

  async report(instance: string, r: ModerationReport): Promise<void> {
    await this.redis
      .multi()
      .hset(this.key(), instance, JSON.stringify({ ...r, at: this.now() }))
      .pexpire(this.key(), 10 * FRESH_MS)
      .exec();
  }

  async read(): Promise<ModerationOverview> {
    const all = await this.redis.hgetall(this.key());
    const workers: ModerationOverview['workers'] = [];
    for (const [instance, raw] of Object.entries(all)) {
      let r: ModerationReport & { at?: unknown };
      try {
        r = JSON.parse(raw) as typeof r;
      } catch {
        continue; // not a report of ours
      }
      if (typeof r.at !== 'number' || this.now() - r.at > FRESH_MS) continue;
      workers.push({ ...r, instance, at: r.at });
    }
    workers.sort((a, b) => (a.instance < b.instance ? -1 : 1));
    if (workers.length === 0) return { workers, total: null };
    const sum = (k: 'allowed' | 'rejected' | 'redacted' | 'unanswered' | 'requests' | 'failedRequests') =>
      workers.reduce((n, w) => n + (Number(w[k]) || 0), 0);
    const timed = workers.flatMap((w) => (w.latencyMs ? [w.latencyMs] : []));
    return {
      workers,
      total: {
        allowed: sum('allowed'),
        rejected: sum('rejected'),
        redacted: sum('redacted'),
        unanswered: sum('unanswered'),
        requests: sum('requests'),
        failedRequests: sum('failedRequests'),
        latencyMs:
          timed.length === 0
            ? null
            : {
                p50: Math.max(...timed.map((l) => l.p50)),
                p99: Math.max(...timed.map((l) => l.p99)),
                max: Math.max(...timed.map((l) => l.max)),
              },
      },
    };
  }

  async forget(instance: string): Promise<void> {
    await this.redis.hdel(this.key(), instance);
  }
}
