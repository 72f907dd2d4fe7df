import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import * as vega from 'vega';
import type { CpuFloor } from './budget';
import type { PartResult } from './parts';
import type { StepResult } from './load';
import type { StoreOp } from './store-ops';
import { typingLines, type TypingCost } from './typing-cost';

export interface Report {
  startedAt: string;
  quick: boolean;
  machine: { cores: number; node: string };
  sockets: number;
  messageBytes: number;
  /** Share of the sockets typing during the steps (--typing-share); 0 or absent: none. */
  typingShare?: number;
  /** With --typing-share: each rate run without and with the typists, and the throughput kept. */
  typing?: TypingCost;
  /** Without typists (with --typing-share, the typed runs are in `typing`). */
  steps: StepResult[];
  sustained: { rate: number; p99Ms: number } | null;
  offlineDrain: {
    messages: number;
    seconds: number;
    rate: number;
    connectedMs?: number;
    firstMs?: number | null;
    afterFirstRate?: number | null;
  } | null;
  idleSocketKB: number | null;
  /** Growth of the edges' V8 heap in use per socket (from their /metrics). */
  idleSocketHeapKB?: number | null;
  /** The edges' heap growth per socket measured right after full collections (through their inspector). */
  idleSocketRetainedKB?: number | null;
  cpu: Record<string, number>;
  /** The whole machine's CPU in each step (% of one core) and per message received (core-microseconds). */
  stepCpu?: Array<{ offeredRate: number; machinePct: number; usPerMessage: number | null }>;
  /** Each edge's CPU per message received in each step (core-µs), and whether users were connected to it. */
  edgeCpu?: Array<{ offeredRate: number; edges: Array<{ name: string; busy: boolean; pct: number; usPerMessage: number | null }> }>;
  /** Each edge's CPU (% of a core) with no traffic, measured before the ramp. */
  edgeIdlePct?: Record<string, number>;
  /** The least CPU a message needs, from the parts alone, and the box's ceiling at that cost. */
  cpuFloor?: CpuFloor | null;
  /** The workers' store calls over the ramp (their own timing, waiting included), against the messages sent. */
  storeCalls?: { messagesSent: number; ops: StoreOp[] } | null;
  /** The same per step (warm-up included), per message sent in it: what a message costs the store at that rate. */
  stepStoreCalls?: Array<{ offeredRate: number; messagesSent: number; ops: StoreOp[] }>;
  parts: PartResult[];
  slowestPart: PartResult | null;
  pipelineFractionOfSlowestPart: number | null;
}

function chartSpec(steps: StepResult[]): vega.Spec {
  const rows = steps.flatMap((s) => [
    { rate: s.offeredRate, series: 'throughput (msg/s)', value: s.throughput, panel: 'throughput' },
    { rate: s.offeredRate, series: 'send→receive p50', value: s.e2eMs.p50, panel: 'latency' },
    { rate: s.offeredRate, series: 'send→receive p99', value: s.e2eMs.p99, panel: 'latency' },
    { rate: s.offeredRate, series: 'send→ack p99', value: s.ackMs.p99, panel: 'latency' },
  ]);
  const panel = (name: string, y: number, title: string) => ({
    type: 'group',
    encode: { enter: { y: { value: y }, width: { value: 520 }, height: { value: 220 } } },
    title: { text: title },
    data: [{ name: `${name}_rows`, source: 'rows', transform: [{ type: 'filter', expr: `datum.panel === '${name}'` }] }],
    scales: [
      { name: 'x', type: 'linear', domain: { data: `${name}_rows`, field: 'rate' }, range: 'width', nice: true },
      { name: 'y', type: 'linear', domain: { data: `${name}_rows`, field: 'value' }, range: 'height', nice: true, zero: true },
      { name: 'c', type: 'ordinal', domain: { data: `${name}_rows`, field: 'series' }, range: 'category' },
    ],
    axes: [
      { orient: 'bottom', scale: 'x', title: 'offered rate (messages/s)' },
      { orient: 'left', scale: 'y', title: name === 'latency' ? 'ms' : 'messages/s' },
    ],
    legends: [{ stroke: 'c', orient: 'right' }],
    marks: [
      {
        type: 'group',
        from: { facet: { name: `${name}_series`, data: `${name}_rows`, groupby: 'series' } },
        marks: [
          {
            type: 'line',
            from: { data: `${name}_series` },
            encode: {
              enter: {
                x: { scale: 'x', field: 'rate' },
                y: { scale: 'y', field: 'value' },
                stroke: { scale: 'c', field: 'series' },
                strokeWidth: { value: 2 },
              },
            },
          },
          {
            type: 'symbol',
            from: { data: `${name}_series` },
            encode: {
              enter: {
                x: { scale: 'x', field: 'rate' },
                y: { scale: 'y', field: 'value' },
                fill: { scale: 'c', field: 'series' },
                size: { value: 30 },
              },
            },
          },
        ],
      },
    ],
  });
  return {
    $schema: 'https://vega.github.io/schema/vega/v5.json',
    width: 700,
    height: 560,
    padding: 10,
    data: [{ name: 'rows', values: rows }],
    marks: [panel('throughput', 0, 'Throughput against offered rate'), panel('latency', 300, 'Latency against offered rate')],
  } as unknown as vega.Spec;
}

export function markdown(r: Report): string {
  const lines = [
    `# Benchmark ${r.startedAt}${r.quick ? ' (quick)' : ''}`,
    '',
    `${r.machine.cores} cores, Node ${r.machine.node}; ${r.sockets} sockets in pairs; ${r.messageBytes}-byte messages; open-loop offered rate.`,
    '',
    '| offered/s | received/s | lost | dup | ack p50 | ack p99 | e2e p50 | e2e p95 | e2e p99 | e2e max |',
    '| ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |',
    ...r.steps.map(
      (s) =>
        `| ${s.offeredRate} | ${s.throughput} | ${s.lost} | ${s.duplicates} | ${s.ackMs.p50} | ${s.ackMs.p99} | ${s.e2eMs.p50} | ${s.e2eMs.p95} | ${s.e2eMs.p99} | ${s.e2eMs.max} |`,
    ),
    '',
    `- sustained: ${r.sustained ? `${r.sustained.rate} msg/s end to end (p99 ${r.sustained.p99Ms} ms)` : 'n/a'}`,
    `- offline drain: ${r.offlineDrain ? `${r.offlineDrain.messages} messages in ${r.offlineDrain.seconds} s = ${r.offlineDrain.rate} msg/s (connected after ${r.offlineDrain.connectedMs} ms, first message at ${r.offlineDrain.firstMs} ms, ${r.offlineDrain.afterFirstRate ?? 'n/a'} msg/s from there)` : 'n/a'}`,
    `- edge memory per idle socket: ${r.idleSocketRetainedKB ?? 'n/a'} KB retained (V8 heap after a full collection; target ≤ 30 KB); ${r.idleSocketKB ?? 'n/a'} KB of RSS and ${r.idleSocketHeapKB ?? 'n/a'} KB of V8 heap in use, garbage included`,
    `- CPU during the last step (% of one core): ${
      Object.entries(r.cpu)
        .map(([k, v]) => `${k} ${v}`)
        .join(', ') || 'n/a'
    }`,
    '',
    '| part alone | per second | machine CPU per operation (core-µs) | detail |',
    '| --- | ---: | ---: | --- |',
    ...r.parts.map((p) => `| ${p.name} | ${p.perSecond} | ${p.cpuUsPerOp ?? 'n/a'} | ${p.detail} |`),
    '',
    `- pipeline as a fraction of its slowest part (${r.slowestPart?.name ?? 'n/a'}): ${r.pipelineFractionOfSlowestPart ?? 'n/a'}`,
    ...cpuLines(r),
    ...storeLines(r),
    ...typingLines(r.typing),
  ];
  return lines.join('\n') + '\n';
}

/** The CPU budget: the floor from the parts alone, and what the pipeline spent per message in each step. */
function cpuLines(r: Report): string[] {
  const f = r.cpuFloor;
  const lines: string[] = [];
  if (f) {
    const terms = f.terms.map((t) => `${t.times} × ${t.cpuUsPerOp} (${t.part})`).join(' + ');
    lines.push(
      `- CPU floor per message from the parts alone: ${terms} = ${f.usPerMessage} core-µs; with all ${r.machine.cores} cores on nothing else this box could carry at most ${f.ceilingPerSecond} msg/s`,
    );
  }
  if (r.edgeCpu && r.edgeCpu.length > 0) {
    const idle = r.edgeIdlePct ?? {};
    lines.push(
      `- each edge's CPU per message received (core-µs; idle background in brackets, % of a core), by step: ${r.edgeCpu
        .map(
          (s) =>
            `${s.offeredRate}/s: ${s.edges.map((e) => `${e.name}${e.busy ? '' : ' (no users)'} ${e.usPerMessage ?? 'n/a'} [${idle[e.name] ?? '?'}%]`).join(', ')}`,
        )
        .join('; ')}`,
    );
  }
  const steps = (r.stepCpu ?? []).filter((s) => s.usPerMessage !== null);
  if (steps.length > 0) {
    const ratio = (us: number) => (f ? ` (${(us / f.usPerMessage).toFixed(1)}× the floor)` : '');
    lines.push(
      `- machine CPU per message received, by step: ${steps.map((s) => `${s.offeredRate}/s: ${s.usPerMessage} core-µs at ${s.machinePct}%${ratio(s.usPerMessage!)}`).join('; ')}`,
    );
  }
  return lines;
}

/** The workers' store calls over the ramp: how many per message sent, and how long each took. */
function storeLines(r: Report): string[] {
  const s = r.storeCalls;
  if (!s || s.ops.length === 0 || s.messagesSent === 0) return [];
  const ops = s.ops.map(
    (o) => `${o.service} ${o.op}: ${o.count} (${(o.count / s.messagesSent).toFixed(2)} per message), ${o.meanMs} ms each`,
  );
  const lines = [`- store calls over the ramp (${s.messagesSent} messages sent, warm-ups included): ${ops.join('; ')}`];
  for (const step of r.stepStoreCalls ?? []) {
    if (step.messagesSent === 0) continue;
    const per = step.ops.map((o) => `${o.service} ${o.op} ${(o.count / step.messagesSent).toFixed(3)}`);
    lines.push(`- store calls per message at ${step.offeredRate}/s (${step.messagesSent} sent, warm-up included): ${per.join(', ')}`);
  }
  return lines;
}

export async function writeReport(dir: string, r: Report): Promise<string[]> {
  mkdirSync(dir, { recursive: true });
  const stamp = r.startedAt.replace(/[:.]/g, '-');
  const files = [join(dir, 'latest.json'), join(dir, 'latest.md'), join(dir, 'latest.svg'), join(dir, `${stamp}.json`)];
  writeFileSync(files[0], JSON.stringify(r, null, 2));
  writeFileSync(files[1], markdown(r));
  const view = new vega.View(vega.parse(chartSpec(r.steps)), { renderer: 'none' });
  writeFileSync(files[2], await view.toSVG());
  writeFileSync(files[3], JSON.stringify(r, null, 2));
  return files;
}
