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
  /** The typed run came before the one without (the order alternates by rate). */
  typedFirst: boolean;
  /** Received msg/s with typing over received msg/s without. */
  ratio: number;
}

interface TypingSide {
  throughput: number;
  e2eP99Ms: number;
  lost: number;
  /** The whole machine's CPU (% of one core), other work on the box included. */
  machinePct: number;
  /** The system's own processes (services, RabbitMQ, Redis, FerretDB, PostgreSQL; not the load generator), and the edges alone. */
  stackPct: number;
  edgePct: number;
  /** Core-µs per message received: the system's processes, and the edges alone. */
  stackUsPerMessage: number | null;
  edgeUsPerMessage: number | null;
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

const side = (s: StepResult, cpu: Record<string, number>): TypingSide => {
  const stackPct = Object.entries(cpu)
    .filter(([k]) => k !== 'machine' && k !== 'load generator')
    .reduce((n, [, v]) => n + v, 0);
  const edgePct = cpu.edge ?? 0;
  return {
    throughput: s.throughput,
    e2eP99Ms: s.e2eMs.p99,
    lost: s.lost,
    machinePct: cpu.machine ?? 0,
    stackPct,
    edgePct,
    stackUsPerMessage: usPerMessage(stackPct, s.throughput),
    edgeUsPerMessage: usPerMessage(edgePct, s.throughput),
  };
};

export function typingRow(
  offeredRate: number,
  without: { step: StepResult; cpu: Record<string, number> },
  typed: { step: StepResult; cpu: Record<string, number> },
  events: { sent: number; received: number; typedFirst: boolean },
): TypingRow {
  return {
    offeredRate,
    without: side(without.step, without.cpu),
    with: side(typed.step, typed.cpu),
    typingSent: events.sent,
    typingReceived: events.received,
    typedFirst: events.typedFirst,
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
    '| offered/s | first | received/s without | with | ratio | e2e p99 without | with | system core-µs/msg without | with | edges core-µs/msg without | with | machine % without | with | typing sent | received |',
    '| ---: | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |',
    ...t.rows.map(
      (r) =>
        `| ${r.offeredRate} | ${r.typedFirst ? 'with' : 'without'} | ${r.without.throughput} | ${r.with.throughput} | ${r.ratio} | ${r.without.e2eP99Ms} | ${r.with.e2eP99Ms} | ${r.without.stackUsPerMessage ?? 'n/a'} | ${r.with.stackUsPerMessage ?? 'n/a'} | ${r.without.edgeUsPerMessage ?? 'n/a'} | ${r.with.edgeUsPerMessage ?? 'n/a'} | ${r.without.machinePct} | ${r.with.machinePct} | ${r.typingSent} | ${r.typingReceived} |`,
    ),
    '',
    `- typing keeps ${t.maxThroughputRatio} of the message path's highest throughput (target ≥ ${t.target}): ${t.pass ? 'pass' : '**FAIL**'}; machine load average (1/5/15 min) ${t.loadBefore.join(' / ')} at the start, ${t.loadAfter.join(' / ')} at the end`,
  ];
}
