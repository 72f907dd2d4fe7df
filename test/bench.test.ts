import { execFile } from 'node:child_process';
import { existsSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';

const ROOT = join(__dirname, '..');
const OUT = join('.data', 'bench-check');

/** CI does not run the benchmark; this checks that `npm run bench -- --quick` runs and writes its report. */
describe('benchmark --quick', () => {
  it('runs against its own stack and writes JSON, Markdown and a chart', async () => {
    rmSync(join(ROOT, OUT), { recursive: true, force: true });
    const out = await new Promise<string>((resolve, reject) =>
      execFile(
        process.execPath,
        ['tools/bench/dist/cli.js', '--quick', '--rates', '50,100', '--sockets', '40', '--offline', '200', '--out', OUT],
        { cwd: ROOT, timeout: 900_000, maxBuffer: 10 * 1024 * 1024 },
        (err, stdout, stderr) => (err ? reject(new Error(`${err.message}\n${stdout}\n${stderr}`)) : resolve(stdout)),
      ),
    );
    expect(out).toContain('| offered/s |');
    for (const f of ['latest.json', 'latest.md', 'latest.svg']) expect(existsSync(join(ROOT, OUT, f))).toBe(true);
    const report = JSON.parse(readFileSync(join(ROOT, OUT, 'latest.json'), 'utf8'));
    expect(report.steps.length).toBeGreaterThan(0);
    for (const s of report.steps) {
      expect(s.lost).toBe(0);
      expect(s.duplicates).toBe(0);
      expect(s.sent).toBeGreaterThan(0);
    }
    expect(report.offlineDrain.messages).toBe(200);
    // weighed through the edges' inspector after full collections: a figure, and a plausible one
    expect(typeof report.idleSocketRetainedKB).toBe('number');
    expect(report.idleSocketRetainedKB).toBeLessThan(1000);
    expect(report.parts.map((p: { name: string }) => p.name)).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/RabbitMQ/),
        expect.stringMatching(/Redis adapter/),
        expect.stringMatching(/Socket.IO request/),
      ]),
    );
    // the CPU budget: every part's machine CPU per operation, the floor they add up to, and each step's cost
    for (const p of report.parts) expect(p.cpuUsPerOp).toBeGreaterThan(0);
    expect(report.cpuFloor.usPerMessage).toBeGreaterThan(0);
    expect(report.cpuFloor.ceilingPerSecond).toBe(Math.round((report.machine.cores * 1e6) / report.cpuFloor.usPerMessage));
    expect(report.stepCpu).toHaveLength(report.steps.length);
    expect(readFileSync(join(ROOT, OUT, 'latest.md'), 'utf8')).toContain('CPU floor per message');
    // the workers' store calls over the ramp, from their metrics: the room update, the inserts, the cursor writes
    expect(report.storeCalls.messagesSent).toBeGreaterThanOrEqual(report.steps.reduce((n: number, s: { sent: number }) => n + s.sent, 0));
    expect(report.storeCalls.ops.map((o: { op: string }) => o.op)).toEqual(
      expect.arrayContaining(['conversation.loadHead', 'message.insertMany', 'cursor.advance']),
    );
    // and per step: what a message costs the store at that rate
    expect(report.stepStoreCalls).toHaveLength(report.steps.length);
    expect(report.stepStoreCalls[0].ops.map((o: { op: string }) => o.op)).toContain('message.insertMany');
    expect(readFileSync(join(ROOT, OUT, 'latest.svg'), 'utf8')).toContain('<svg');
  }, 960_000); // a deadline for a hang only: how fast the bench runs is its report, not a pass/fail
});
