import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { CpuMeter } from './proc-cpu';

describe('CpuMeter', () => {
  it('attributes a busy process to its service name and counts it in the machine total', async () => {
    const busy = spawn(process.execPath, ['-e', 'const end = Date.now() + 3000; while (Date.now() < end) {}']);
    const idle = spawn(process.execPath, ['-e', 'setTimeout(() => {}, 3000)']);
    try {
      await Promise.all([once(busy, 'spawn'), once(idle, 'spawn')]);
      const meter = new CpuMeter(() => [
        ['spinner-1', busy.pid!],
        ['sleeper-1', idle.pid!],
      ]);
      meter.begin();
      await new Promise((r) => setTimeout(r, 1000));
      const cpu = meter.end();
      // relations only: how much CPU the spinner gets depends on what else the machine runs
      expect(cpu.spinner).toBeGreaterThan(0);
      expect(cpu.spinner).toBeGreaterThan(cpu.sleeper);
      expect(cpu.spinner).toBeGreaterThan(cpu['load generator']); // this process mostly waits meanwhile
      expect(cpu.machine).toBeGreaterThanOrEqual(cpu.spinner * 0.9); // the machine total includes it (up to rounding)
    } finally {
      busy.kill();
      idle.kill();
    }
  });

  it('measures a process that uses a fraction of a percent of a core (below the 10 ms tick of /proc/<pid>/stat)', async () => {
    // about 0.1 ms of work every 100 ms, wake-ups included: a few tenths of a percent of a core, under a tick a second
    const light = spawn(process.execPath, [
      '-e',
      'setInterval(() => { const e = process.hrtime.bigint() + 50000n; while (process.hrtime.bigint() < e) {} }, 100); setTimeout(() => process.stdout.write("ready\\n"), 300); setTimeout(() => process.exit(0), 5000)',
    ]);
    try {
      // measured from past its start-up, which on a busy machine takes longer than any fixed wait
      await once(light.stdout, 'data');
      const meter = new CpuMeter(() => [['light-1', light.pid!]], true);
      meter.begin();
      await new Promise((r) => setTimeout(r, 1000));
      const cpu = meter.end();
      expect(cpu['light-1']).toBeGreaterThan(0);
      expect(cpu['light-1']).toBeLessThan(1); // ticks read it as 0 or as a whole 1%
    } finally {
      light.kill();
    }
  });
});
