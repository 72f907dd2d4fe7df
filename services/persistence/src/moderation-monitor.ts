import type { ModerationReport } from '@chat/delivery';
import type { Logger } from '@chat/logging';
import { moderationRequests, moderationVerdicts } from '@chat/ops';
import type { HookAnswer } from './moderation-hook';
import type { ModerationAction, VerdictSource } from './usecases/moderate-sends/moderate-sends.usecase';

const RECENT = 200;
/** A hook that keeps failing is logged once per interval, with how many failed meanwhile, not once per batch. */
const WARN_EVERY_MS = 10_000;

/** What the worker's moderation did: Prometheus metrics, a throttled warning when the hook fails, and the /admin report. */
export class ModerationMonitor {
  private readonly counts = { allowed: 0, rejected: 0, redacted: 0, unanswered: 0, requests: 0, failedRequests: 0 };
  private readonly recent: number[] = [];
  private readonly startedAt = Date.now();
  private lastWarn = 0;
  private failedSinceWarn = 0;

  constructor(
    private readonly failure: 'open' | 'closed',
    private readonly log: Logger,
  ) {}

  answered(a: HookAnswer): void {
    moderationRequests.observe({ outcome: a.ok ? 'ok' : a.failure }, a.ms / 1000);
    this.counts.requests++;
    this.recent.push(a.ms);
    if (this.recent.length > RECENT) this.recent.shift();
    if (a.ok) return;
    this.counts.failedRequests++;
    this.failedSinceWarn++;
    if (Date.now() - this.lastWarn < WARN_EVERY_MS) return;
    this.log.warn(
      { failure: a.failure, detail: a.detail, failedRequests: this.failedSinceWarn, policy: this.failure },
      this.failure === 'open'
        ? 'moderation hook did not answer; messages let through'
        : 'moderation hook did not answer; messages rejected',
    );
    this.lastWarn = Date.now();
    this.failedSinceWarn = 0;
  }

  decided(action: ModerationAction, source: VerdictSource): void {
    moderationVerdicts.inc({ action, source });
    if (action === 'allow') this.counts.allowed++;
    else if (action === 'reject') this.counts.rejected++;
    else this.counts.redacted++;
    if (source === 'unavailable') this.counts.unanswered++;
  }

  report(): ModerationReport {
    const sorted = [...this.recent].sort((a, b) => a - b);
    const at = (q: number) => Math.round(sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]);
    return {
      failure: this.failure,
      ...this.counts,
      latencyMs: sorted.length === 0 ? null : { p50: at(0.5), p99: at(0.99), max: Math.round(sorted[sorted.length - 1]) },
      startedAt: this.startedAt,
    };
  }
}
