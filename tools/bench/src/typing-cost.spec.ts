import type { StepResult } from './load';
import { typingLines, typingRow, typingSummary } from './typing-cost';

const step = (throughput: number, p99 = 100): StepResult => ({
  offeredRate: 0,
  sent: throughput * 10,
  acked: throughput * 10,
  received: throughput * 10,
  throughput,
  lost: 0,
  duplicates: 0,
  busy: 0,
  ackMs: { p50: 1, p95: 1, p99: 1, max: 1 },
  e2eMs: { p50: 1, p95: 1, p99: p99, max: 1 },
});

describe('typing cost', () => {
  it('compares the highest throughput with and without typists, against a 10% target', () => {
    const rows = [
      typingRow(
        400,
        { step: step(400), cpu: { machine: 100, edge: 40 } },
        { step: step(400), cpu: { machine: 110, edge: 44 } },
        { sent: 100, received: 90, typedFirst: false },
      ),
      typingRow(
        800,
        { step: step(700), cpu: { machine: 190, edge: 70, rabbitmq: 30, 'load generator': 20 } },
        { step: step(650), cpu: { machine: 195, edge: 78, rabbitmq: 30, 'load generator': 20 } },
        { sent: 100, received: 90, typedFirst: true },
      ),
    ];
    expect(rows[1].ratio).toBe(0.929);
    const cost = typingSummary(0.2, rows, [2, 2, 2], [1, 1, 1]);
    expect(cost).toMatchObject({ maxThroughputRatio: 0.929, pass: true, everyMs: 2000 });
    expect(typingSummary(0.2, [rows[0], { ...rows[1], with: { ...rows[1].with, throughput: 600 } }], [2, 2, 2]).pass).toBe(false);
    expect(rows[1].without).toMatchObject({ stackPct: 100, stackUsPerMessage: 1429, edgeUsPerMessage: 1000 });
    expect(typingLines(cost).join('\n')).toContain('| 800 | with | 700 | 650 | 0.929 |');
  });
});
