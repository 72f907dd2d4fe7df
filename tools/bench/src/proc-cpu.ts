import { readdirSync, readFileSync } from 'node:fs';

/** Clock ticks per second of /proc's CPU times (USER_HZ; 100 on Linux). */
const TICKS = 100;

/** The infrastructure processes on this box, by command name: where the CPU the services do not use goes. */
const INFRA: Record<string, string> = {
  ferretdb: 'ferretdb',
  'beam.smp': 'rabbitmq',
  postgres: 'postgresql',
  'redis-server': 'redis',
};

/**
 * CPU time of a process in ticks (fractional), 0 when it is gone: the sum of its threads' run time from
 * /proc/<pid>/task/<tid>/schedstat (nanoseconds), so that a process using a fraction of a percent is
 * measured, not rounded to the 10 ms tick of /proc/<pid>/stat (used when schedstat is missing).
 */
export function cpuTicks(pid: number): number {
  try {
    let ns = 0;
    for (const tid of readdirSync(`/proc/${pid}/task`))
      ns += Number(readFileSync(`/proc/${pid}/task/${tid}/schedstat`, 'utf8').split(' ')[0]);
    if (Number.isFinite(ns) && ns > 0) return ns / (1e9 / TICKS);
  } catch {
    // gone, or no schedstat: below
  }
  try {
    const f = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
    return Number(f[11]) + Number(f[12]);
  } catch {
    return 0;
  }
}

/** Busy and total ticks of the whole machine (/proc/stat), all cores summed. */
function machineTicks(): { busy: number; total: number } {
  const f = readFileSync('/proc/stat', 'utf8').split('\n')[0].trim().split(/\s+/).slice(1).map(Number);
  const total = f.reduce((a, b) => a + b, 0);
  const idle = (f[3] ?? 0) + (f[4] ?? 0); // idle + iowait
  return { busy: total - idle, total };
}

interface Sample {
  at: number;
  services: Map<number, { name: string; ticks: number }>;
  infra: Map<number, { name: string; ticks: number }>;
  self: NodeJS.CpuUsage;
  machine: { busy: number; total: number };
}

function infraProcesses(): Map<number, { name: string; ticks: number }> {
  const out = new Map<number, { name: string; ticks: number }>();
  for (const d of readdirSync('/proc')) {
    if (!/^\d+$/.test(d)) continue;
    let comm: string;
    try {
      comm = readFileSync(`/proc/${d}/comm`, 'utf8').trim();
    } catch {
      continue;
    }
    const name = INFRA[comm];
    if (name) out.set(Number(d), { name, ticks: cpuTicks(Number(d)) });
  }
  return out;
}

/**
 * CPU use per service during a step, in % of one core: the stack's own processes by service name (copies
 * summed), the infrastructure on the same box (FerretDB, RabbitMQ, PostgreSQL backends, Redis), the load
 * generator itself, and the whole machine (at most cores × 100).
 */
export class CpuMeter {
  private start: Sample | null = null;

  /** `byProcess`: one figure per process (edge-1, edge-2, ...) rather than per service. */
  constructor(
    private readonly services: () => Array<[name: string, pid: number]>,
    private readonly byProcess = false,
  ) {}

  begin(): void {
    this.start = this.sample();
  }

  end(): Record<string, number> {
    const a = this.start;
    if (!a) return {};
    const b = this.sample();
    const secs = (b.at - a.at) / 1000;
    const out: Record<string, number> = {};
    const add = (name: string, ticks: number) => (out[name] = (out[name] ?? 0) + (ticks / TICKS / secs) * 100);
    for (const [pid, s] of b.services) add(s.name, s.ticks - (a.services.get(pid)?.ticks ?? s.ticks));
    // a PostgreSQL backend started during the step counts from its start; one that ended is not counted
    for (const [pid, s] of b.infra) add(s.name, s.ticks - (a.infra.get(pid)?.ticks ?? 0));
    const self = process.cpuUsage(a.self);
    add('load generator', ((self.user + self.system) / 1e6) * TICKS);
    const cores = (b.machine.total - a.machine.total) / TICKS / secs;
    out.machine = cores > 0 ? ((b.machine.busy - a.machine.busy) / (b.machine.total - a.machine.total)) * cores * 100 : 0;
    for (const k of Object.keys(out)) out[k] = this.byProcess ? Math.round(out[k] * 10) / 10 : Math.round(out[k]);
    return out;
  }

  private sample(): Sample {
    const services = new Map<number, { name: string; ticks: number }>();
    for (const [name, pid] of this.services())
      services.set(pid, { name: this.byProcess ? name : name.replace(/-\d+$/, ''), ticks: cpuTicks(pid) });
    return { at: performance.now(), services, infra: infraProcesses(), self: process.cpuUsage(), machine: machineTicks() };
  }
}

/**
 * Runs `work` and measures it: its wall time, the machine's busy CPU meanwhile (every process on the box:
 * the part measured, its client here, and whatever else runs; the bench measures its parts before it
 * starts the stack, so that is little), this process's own CPU and, given a pid, that process's CPU. All
 * in seconds (CPU: core-seconds).
 */
export async function measured(
  work: () => Promise<void>,
  pid?: number,
): Promise<{ seconds: number; busyCoreSeconds: number; selfCoreSeconds: number; pidCoreSeconds: number | null }> {
  const [t0, m0, c0, p0] = [performance.now(), machineTicks(), process.cpuUsage(), pid ? cpuTicks(pid) : 0];
  await work();
  const [m1, c] = [machineTicks(), process.cpuUsage(c0)];
  return {
    seconds: (performance.now() - t0) / 1000,
    busyCoreSeconds: (m1.busy - m0.busy) / TICKS,
    selfCoreSeconds: (c.user + c.system) / 1e6,
    pidCoreSeconds: pid ? (cpuTicks(pid) - p0) / TICKS : null,
  };
}
