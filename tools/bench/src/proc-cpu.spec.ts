import { spawn } from 'node:child_process';
import { CpuMeter } from './proc-cpu';

describe('CpuMeter', () => {
  it('attributes a busy process to its service name and counts it in the machine total', async () => {
    const busy = spawn(process.execPath, ['-e', 'const end = Date.now() + 3000; while (Date.now() < end) {}']);
    const idle = spawn(process.execPath, ['-e', 'setTimeout(() => {}, 3000)']);
    try {
      await new Promise((r) => setTimeout(r, 200));
      const meter = new CpuMeter(() => [
        ['spinner-1', busy.pid!],
        ['sleeper-1', idle.pid!],
      ]);
      meter.begin();
      await new Promise((r) => setTimeout(r, 1000));
      const cpu = meter.end();
      expect(cpu.spinner).toBeGreaterThan(25); // up to a core, less what the scheduler gave others on a busy box
      expect(cpu.sleeper).toBeLessThan(10);
      expect(cpu.machine).toBeGreaterThanOrEqual(cpu.spinner - 5);
      expect(cpu['load generator']).toBeLessThan(50);
    } finally {
      busy.kill();
      idle.kill();
    }
  });
});
