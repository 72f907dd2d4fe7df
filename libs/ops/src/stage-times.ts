import { Histogram } from 'prom-client';

/** The stages of a message's path, in order; each one's latency is measured from the stage before it. */
export const STAGES = ['accepted', 'stored', 'fanned_out', 'delivered', 'read'] as const;
export type Stage = (typeof STAGES)[number];

export const stageSeconds = new Histogram({
  name: 'chat_stage_seconds',
  help: 'Time a message spent reaching each stage from the one before it (accepted: the edge from request to broker confirm; stored, fanned_out, delivered, read: from the previous stage)',
  labelNames: ['stage'] as const,
  buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300, 1800, 3600],
});

/**
 * A process's last-minute latencies per stage as counts in fine buckets (bucket k holds values up to
 * 2^(k/4) ms, so a percentile read from it is within 19%). Counts add up across processes, which
 * percentiles do not: the dashboard merges every process's summary and reads p50/p99 from the sum.
 */
export type StageSummary = Partial<Record<Stage, Record<string, number>>>;

export interface StagePercentiles {
  stage: Stage;
  count: number;
  p50Ms: number | null;
  p99Ms: number | null;
}

const STEPS_PER_DOUBLING = 4;
/** Past 2^(120/4) ms (12 days): the last bucket. */
const LAST_BUCKET = 120;

export function bucketOf(ms: number): number {
  if (!(ms > 1)) return 0;
  return Math.min(LAST_BUCKET, Math.ceil(Math.log2(ms) * STEPS_PER_DOUBLING));
}

const upperOf = (k: number) => (k === 0 ? 1 : 2 ** (k / STEPS_PER_DOUBLING));

/**
 * Counts per stage over a sliding window of `slots` slots of `slotMs` each (the current one and the ones
 * before it), so the window covers the last (slots − 1) × slotMs to slots × slotMs.
 */
export class StageWindow {
  private readonly ring = new Map<number, Map<Stage, Map<number, number>>>();

  constructor(
    private readonly slotMs = 5000,
    private readonly slots = 12,
    private readonly now: () => number = Date.now,
  ) {}

  add(stage: Stage, ms: number): void {
    const slot = Math.floor(this.now() / this.slotMs);
    let s = this.ring.get(slot);
    if (!s) {
      s = new Map();
      this.ring.set(slot, s);
      for (const old of this.ring.keys()) if (old <= slot - this.slots) this.ring.delete(old);
    }
    let counts = s.get(stage);
    if (!counts) s.set(stage, (counts = new Map<number, number>()));
    const k = bucketOf(ms);
    counts.set(k, (counts.get(k) ?? 0) + 1);
  }

  summary(): StageSummary {
    const current = Math.floor(this.now() / this.slotMs);
    const out: StageSummary = {};
    for (const [slot, stages] of this.ring) {
      if (slot <= current - this.slots) continue;
      for (const [stage, counts] of stages) {
        const into = (out[stage] ??= {});
        for (const [k, n] of counts) into[k] = (into[k] ?? 0) + n;
      }
    }
    return out;
  }
}

/** The counts of several processes' summaries added up, then p50 and p99 per stage (null where nothing was seen). */
export function stagePercentiles(summaries: StageSummary[]): StagePercentiles[] {
  return STAGES.map((stage) => {
    const counts = new Map<number, number>();
    for (const s of summaries)
      for (const [k, n] of Object.entries(s[stage] ?? {})) {
        const bucket = Number(k);
        if (Number.isInteger(bucket) && bucket >= 0 && bucket <= LAST_BUCKET && Number.isFinite(n) && n > 0)
          counts.set(bucket, (counts.get(bucket) ?? 0) + n);
      }
    const sorted = [...counts].sort((a, b) => a[0] - b[0]);
    const count = sorted.reduce((t, [, n]) => t + n, 0);
    return { stage, count, p50Ms: quantile(sorted, count, 0.5), p99Ms: quantile(sorted, count, 0.99) };
  });
}

/** The q-quantile of bucketed counts, interpolated geometrically inside its bucket. */
function quantile(sorted: Array<[number, number]>, count: number, q: number): number | null {
  if (count === 0) return null;
  const rank = q * count;
  let seen = 0;
  for (const [k, n] of sorted) {
    if (seen + n >= rank) {
      const lower = k === 0 ? 0 : upperOf(k - 1);
      const upper = upperOf(k);
      const f = n === 0 ? 1 : (rank - seen) / n;
      const v = k === 0 ? upper * f : lower * (upper / lower) ** f;
      return Math.round(v * 10) / 10;
    }
    seen += n;
  }
  return upperOf(sorted[sorted.length - 1][0]);
}

const processWindow = new StageWindow();

/**
 * Records one message's latency for a stage: the Prometheus histogram, and this process's window for the
 * dashboard's last-minute percentiles. A negative time (the stages' clocks disagree) counts as 0.
 */
export function observeStage(stage: Stage, ms: number): void {
  const v = Math.max(0, ms);
  stageSeconds.observe({ stage }, v / 1000);
  processWindow.add(stage, v);
}

/** This process's last-minute counts, for publishing to the dashboard. */
export function stageSummary(): StageSummary {
  return processWindow.summary();
}
