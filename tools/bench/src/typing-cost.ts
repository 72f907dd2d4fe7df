import { usPerMessage } from './budget';
import type { StepResult } from './load';
import { TYPING_EVERY_MS } from './load';

/** One offered rate run twice in a row: without typists, then with them. */
export interface TypingRow {
  offeredRate: number;
  without: TypingSide;
  with: TypingSide;
  /** Typing events the typists emitted during the typed step, and `typing` events the sockets received. */
  typingSent: number;
  typingReceived: number;
  /** Received msg/s with typing over received msg/s without. */
  ratio: number;
}

interface TypingSide {
  throughput: number;
  e2eP99Ms: number;
  lost: number;
  machinePct: number;
  /** Machine CPU per message received (core-µs). */
  usPerMessage: number | null;
}

/** What typing costs the message path, in the same run (`--typing-share`). */
export interface TypingCost {
  share: number;
  /** How often each typist emits (a start, every fifth time a stop): the edge's throttle allows one per 2 s per direction. */
  everyMs: number;
  rows: TypingRow[];
  /** The highest throughput with typing over the highest without: the message path's capacity kept. */
  maxThroughputRatio: number;
  /** Typing may cost at most 10% of the throughput: the ratio must be at least this. */
  target: number;
  pass: boolean;
  /** The machine's load averages (1, 5, 15 min) when the ramp started and when it ended. */
  loadBefore: number[];
  loadAfter: number[];
}

const side = (s: StepResult, machinePct: number): TypingSide => ({
  throughput: s.throughput,
  e2eP99Ms: s.e2eMs.p99,
  lost: s.lost,
  machinePct,
  usPerMessage: usPerMessage(machinePct, s.throughput),
});

export function typingRow(
  offeredRate: number,
  without: { step: StepResult; machinePct: number },
  typed: { step: StepResult; machinePct: number },
  events: { sent: number; received: number },
): TypingRow {
  return {
    offeredRate,
    without: side(without.step, without.machinePct),
    with: side(typed.step, typed.machinePct),
    typingSent: events.sent,
    typingReceived: events.received,
    ratio: without.step.throughput > 0 ? Math.round((typed.step.throughput / without.step.throughput) * 1000) / 1000 : 0,
  };
}

export function typingSummary(share: number, rows: TypingRow[], loadAfter: number[], loadBefore: number[] = []): TypingCost {
  const best = (pick: (r: TypingRow) => number) => Math.max(0, ...rows.map(pick));
  const without = best((r) => r.without.throughput);
  const ratio = without > 0 ? Math.round((best((r) => r.with.throughput) / without) * 1000) / 1000 : 0;
  const round = (xs: number[]) => xs.map((x) => Math.round(x * 100) / 100);
  return {
    share,
    everyMs: TYPING_EVERY_MS,
    rows,
    maxThroughputRatio: ratio,
    target: 0.9,
    pass: ratio >= 0.9,
    loadBefore: round(loadBefore),
    loadAfter: round(loadAfter),
  };
}

/** The report's lines for the comparison. */
export function typingLines(t: TypingCost | undefined): string[] {
  if (!t) return [];
  return [
    '',
    `Typing: ${Math.round(t.share * 100)}% of the sockets type (a start every ${t.everyMs / 1000} s, every fifth a stop), each rate run without and then with them:`,
    '',
    '| offered/s | received/s without | with | ratio | e2e p99 without | with | core-µs/msg without | with | typing sent | typing received |',
    '| ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |',
    ...t.rows.map(
      (r) =>
        `| ${r.offeredRate} | ${r.without.throughput} | ${r.with.throughput} | ${r.ratio} | ${r.without.e2eP99Ms} | ${r.with.e2eP99Ms} | ${r.without.usPerMessage ?? 'n/a'} | ${r.with.usPerMessage ?? 'n/a'} | ${r.typingSent} | ${r.typingReceived} |`,
    ),
    '',
    `- typing keeps ${t.maxThroughputRatio} of the message path's highest throughput (target ≥ ${t.target}): ${t.pass ? 'pass' : '**FAIL**'}; machine load average (1/5/15 min) ${t.loadBefore.join(' / ')} at the start, ${t.loadAfter.join(' / ')} at the end`,
  ];
}
