import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
/* npm run bench [-- --quick] [--url http://a,http://b --auth host:port --namespace /chat] [--typing-share 0.2: each rate also with typists] */
import { SingleBar, Presets } from 'cli-progress';
import { cpus, loadavg } from 'node:os';
import { join, resolve } from 'node:path';
import { canConnect, removeNamespace, REPO_ROOT, Stack, startFerretDB, stopProcess, type ManagedProcess } from '@chat/stack';
import { parseArgs } from './args';
import { cpuFloor, usPerMessage } from './budget';
import { CpuMeter } from './proc-cpu';
import { heapAfterFullGcKB } from './inspector';
import { LoadGenerator, type StepResult } from './load';
import { adapterPart, rabbitPart, socketAckPart, storeParts, type PartResult } from './parts';
import { markdown, writeReport, type Report } from './report';
import { typingRow, typingSummary, type TypingRow } from './typing-cost';
import { storeOps, storeOpsBetween, type StoreOp } from './store-ops';

/** The sum of the edges' V8 heap in use, in KB, from their /metrics; null when any edge does not answer. */
async function edgesHeapKB(urls: string[]): Promise<number | null> {
  if (urls.length === 0) return null;
  let total = 0;
  for (const url of urls) {
    const text = await fetch(`${url}/metrics`).then(
      (r) => r.text(),
      () => '',
    );
    const m = /^chat_nodejs_heap_size_used_bytes(?:\{[^}]*\})? (\d+(?:\.\d+)?(?:e\+?\d+)?)$/m.exec(text);
    if (!m) return null;
    total += Number(m[1]) / 1024;
  }
  return total;
}

function rssKB(pid: number): number {
  const m = /VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m ? Number(m[1]) : 0;
}

async function main(): Promise<void> {
  const args = parseArgs(process.argv.slice(2));
  const startedAt = new Date().toISOString();
  const redisUrl = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
  const rabbitUrl = process.env.RABBITMQ_URL ?? 'amqp://guest:guest@127.0.0.1:5672';
  let ferret: ManagedProcess | null = null;
  let stack: Stack | null = null;
  const inspectors = new Map<string, string>();
  /** The sum of the edges' heap after a full collection, in KB; null without every edge's inspector. */
  const edgesHeapAfterGcKB = async (): Promise<number | null> => {
    if (!stack || inspectors.size < stack.edgeUrls.length) return null;
    let total = 0;
    for (const url of inspectors.values()) {
      const kb = await heapAfterFullGcKB(url).catch(() => null);
      if (kb === null) return null;
      total += kb;
    }
    return total;
  };
  let mongoUrl = process.env.MONGO_URL ?? '';
  let urls = args.urls;
  let auth = args.auth;
  const ns = 'bench';
  const log = (s: string) => process.stdout.write(`[bench] ${s}\n`);

  // each part alone, measured before the load on a machine the pipeline is not loading (measured after
  // the ramp, the parts met the stack still working off its backlog and came out 2-5x lower)
  const parts: PartResult[] = [];
  const measureParts = async () => {
    log('measuring each part alone');
    const n = args.quick ? 5000 : 30000;
    parts.push(await rabbitPart(rabbitUrl, n, args.messageBytes));
    if (mongoUrl) parts.push(...(await storeParts(mongoUrl, args.quick ? 2000 : 10000, args.messageBytes)));
    parts.push(await adapterPart(redisUrl, n, 100, args.messageBytes));
    parts.push(await socketAckPart(n, 100, args.messageBytes));
  };

  try {
    if (urls.length === 0) {
      if (!mongoUrl) {
        const port = Number(process.env.BENCH_FERRETDB_PORT ?? 27020);
        if (!(await canConnect('127.0.0.1', port))) {
          log(`starting FerretDB on 127.0.0.1:${port} (PostgreSQL database chat_bench)`);
          ferret = await startFerretDB({
            port,
            backend: { kind: 'postgresql', url: process.env.BENCH_POSTGRES_URL ?? 'postgres://postgres@127.0.0.1:5432/chat_bench' },
            stateDir: join(REPO_ROOT, '.data', 'ferretdb-bench-state'),
            debugAddr: process.env.BENCH_FERRETDB_DEBUG_ADDR,
          });
        }
        mongoUrl = `mongodb://127.0.0.1:${port}/${ns}`;
      }
      await measureParts();
      await removeNamespace({ namespace: ns, mongoUrl, redisUrl, rabbitUrl }).catch(() => undefined);
      stack = new Stack({
        namespace: ns,
        mongoUrl,
        redisUrl,
        rabbitUrl,
        edges: args.edges,
        workers: 1,
        env: { LOG_LEVEL: process.env.BENCH_LOG_LEVEL ?? 'info', RATE_WRITES_PER_USER: '10000000', RATE_CONNECTS_PER_IP: '10000000' },
        logDir: join(REPO_ROOT, '.data', 'bench-logs'),
        // the edges' inspector, on loopback and a free port, to weigh their heap after a full collection
        nodeArgs: { edge: ['--inspect=127.0.0.1:0'] },
        onLine: (name, line) => {
          const m = /Debugger listening on (ws:\/\/\S+)/.exec(line);
          if (m && name.startsWith('edge')) inspectors.set(name, m[1]);
        },
      });
      log(`starting auth, ${args.edges} edges and one of each worker`);
      await stack.start();
      // users connect to the first busyEdges edges only; the others show what traffic costs an edge holding no one
      urls = stack.edgeUrls.slice(0, args.busyEdges);
      auth = stack.authAddress;
    } else {
      await measureParts();
    }
    if (!auth) throw new Error('--auth host:port is required with --url');
    const edgePids = stack ? [...stack.processes].filter(([n]) => n.startsWith('edge')).map(([, p]) => p.child.pid!) : [];

    const load = new LoadGenerator(urls, args.namespace, auth, args.messageBytes);
    const edgeOps = stack ? [...stack.opsUrls].filter(([n]) => n.startsWith('edge')).map(([, u]) => u) : [];
    const rss = () => edgePids.reduce((n, pid) => n + rssKB(pid), 0);
    const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
    log(`connecting ${args.sockets} sockets over ${urls.length} edge(s)`);
    const connectStart = performance.now();
    // memory per idle socket from the second half of the sockets only: the first half pays the one-time
    // costs (compiled code, the driver's buffers, caches sized up front), which are not per socket
    const firstHalf = Math.floor(args.sockets / 4) * 2;
    await load.setup(firstHalf);
    await sleep(Math.min(5, args.settleS) * 1000);
    const [rssBefore, heapBefore, retainedBefore] = [rss(), await edgesHeapKB(edgeOps), await edgesHeapAfterGcKB()];
    await load.setup(args.sockets - firstHalf);
    log(
      `connected in ${((performance.now() - connectStart) / 1000).toFixed(1)} s; letting the connect-time syncs settle for ${args.settleS} s`,
    );
    // each connect runs a sync against the store; the first step should meet the steady state, not that storm
    await sleep(args.settleS * 1000);
    log(`one message in each of the ${load.socketCount / 2} conversations first (each room's first touch), paced at 100/s`);
    log(`primed in ${await load.prime(100)} s`);
    const added = load.socketCount - firstHalf;
    const idleSocketKB = edgePids.length && added > 0 ? Math.round(((rss() - rssBefore) / added) * 10) / 10 : null;
    // the V8 heap in use (the edges' own /metrics): closer to what a socket costs than RSS, which keeps what
    // the allocator took during the connect storm; it still counts garbage no collection has reached yet
    const heapAfter = await edgesHeapKB(edgeOps);
    const idleSocketHeapKB =
      heapBefore !== null && heapAfter !== null && added > 0 ? Math.round(((heapAfter - heapBefore) / added) * 10) / 10 : null;
    // what each socket keeps alive: the edges' heap right after a full collection, before and after
    const retainedAfter = await edgesHeapAfterGcKB();
    const idleSocketRetainedKB =
      retainedBefore !== null && retainedAfter !== null && added > 0
        ? Math.round(((retainedAfter - retainedBefore) / added) * 10) / 10
        : null;

    const bar = new SingleBar(
      { format: '[bench] {step} |{bar}| {percentage}% ', hideCursor: true, clearOnComplete: true },
      Presets.shades_classic,
    );
    const steps: StepResult[] = [];
    const stepCpu: Report['stepCpu'] = [];
    const stepStoreCalls: NonNullable<Report['stepStoreCalls']> = [];
    const readStoreOps = async (): Promise<StoreOp[]> =>
      stack
        ? storeOps(
            await Promise.all(
              [...stack.opsUrls].map(([, url]) =>
                fetch(`${url}/metrics`).then(
                  (r) => r.text(),
                  () => '',
                ),
              ),
            ),
          )
        : [];
    let cpu: Record<string, number> = {};
    // each edge on its own, to show what an edge holding none of the users spends on the traffic
    const edgeProcs = () =>
      stack ? [...stack.processes].filter(([n]) => n.startsWith('edge-')).map(([n, p]) => [n, p.child.pid!] as [string, number]) : [];
    const busyEdge = (name: string) => Number(name.slice('edge-'.length)) <= args.busyEdges;
    const idleMeter = new CpuMeter(edgeProcs, true);
    idleMeter.begin();
    // as long as a step (up to 20 s), so that timers of a longer period fall in both windows alike
    await sleep(Math.min(args.durationS, 20) * 1000);
    const edgeIdlePct = Object.fromEntries(Object.entries(idleMeter.end()).filter(([k]) => k.startsWith('edge-')));
    const edgeCpu: NonNullable<Report['edgeCpu']> = [];
    const typing: TypingRow[] = [];
    const loadBefore = loadavg();
    // the same rate with typists, on the same stack: by turns before and after the run without them, so
    // neither side always meets the other's backlog
    const typedRun = async (rate: number, first: boolean) => {
      const meter = new CpuMeter(() => (stack ? [...stack.processes].map(([n, p]) => [n, p.child.pid!] as [string, number]) : []));
      bar.start(100, 0, { step: `${rate} msg/s, typing` });
      meter.begin();
      const step = await load.stepTyping(args.typingShare, rate, args.warmupS, args.durationS, (f) => bar.update(Math.floor(f * 100)));
      const stepCpu = meter.end();
      bar.stop();
      return { step, cpu: stepCpu, sent: load.typingSent, received: load.typingReceived, first };
    };
    for (const [i, rate] of args.rates.entries()) {
      const typedFirst = args.typingShare > 0 && i % 2 === 1 ? await typedRun(rate, true) : null;
      const edgeMeter = new CpuMeter(edgeProcs, true);
      edgeMeter.begin();
      bar.start(100, 0, { step: `${rate} msg/s` });
      const meter = new CpuMeter(() => (stack ? [...stack.processes].map(([n, p]) => [n, p.child.pid!] as [string, number]) : []));
      const opsBefore = await readStoreOps();
      const sentBefore = load.sentSoFar;
      meter.begin();
      const r = await load.step(rate, args.warmupS, args.durationS, (f) => bar.update(Math.floor(f * 100)));
      cpu = meter.end();
      const perEdge = edgeMeter.end();
      stepStoreCalls.push({
        offeredRate: rate,
        messagesSent: load.sentSoFar - sentBefore,
        ops: storeOpsBetween(opsBefore, await readStoreOps()),
      });
      bar.stop();
      steps.push(r);
      stepCpu.push({ offeredRate: rate, machinePct: cpu.machine ?? 0, usPerMessage: usPerMessage(cpu.machine ?? 0, r.throughput) });
      edgeCpu.push({
        offeredRate: rate,
        edges: Object.entries(perEdge)
          .filter(([k]) => k.startsWith('edge-'))
          .map(([name, pct]) => ({ name, busy: busyEdge(name), pct, usPerMessage: usPerMessage(pct, r.throughput) })),
      });
      log(
        `${rate}/s offered: sent ${r.sent}, acked ${r.acked}, received ${r.received} (${r.throughput}/s), e2e p99 ${r.e2eMs.p99} ms, ack p99 ${r.ackMs.p99} ms, lost ${r.lost}, dup ${r.duplicates}, busy ${r.busy}; CPU (% of one core) ${Object.entries(
          cpu,
        )
          .map(([k, v]) => `${k} ${v}`)
          .join(', ')}`,
      );
      const t = typedFirst ?? (args.typingShare > 0 ? await typedRun(rate, false) : null);
      if (t) {
        typing.push(
          typingRow(rate, { step: r, cpu }, { step: t.step, cpu: t.cpu }, { sent: t.sent, received: t.received, typedFirst: t.first }),
        );
        log(
          `${rate}/s offered with ${Math.round(args.typingShare * 100)}% typing (${t.first ? 'before' : 'after'} the run without): received ${t.step.throughput}/s (without: ${r.throughput}/s), e2e p99 ${t.step.e2eMs.p99} ms, lost ${t.step.lost}; ${t.sent} typing events sent, ${t.received} received`,
        );
      }
      if (r.e2eMs.p99 > args.p99BoundMs || r.throughput < rate * 0.8) {
        log('p99 passed its bound or throughput stopped rising: stopping the ramp');
        break;
      }
    }
    let storeCalls: Report['storeCalls'] = null;
    if (stack) {
      // every service's metrics after the ramp, for finding where the time went (chat_store_op_seconds etc.)
      const dir = join(REPO_ROOT, '.data', 'bench-metrics');
      mkdirSync(dir, { recursive: true });
      const texts: string[] = [];
      for (const [name, url] of stack.opsUrls) {
        const text = await fetch(`${url}/metrics`).then(
          (r) => r.text(),
          () => '',
        );
        writeFileSync(join(dir, `${name}.prom`), text);
        texts.push(text);
      }
      storeCalls = { messagesSent: load.sentSoFar, ops: storeOps(texts) };
    }
    const ok = steps.filter((s) => s.throughput >= s.offeredRate * 0.95 && s.e2eMs.p99 <= args.p99BoundMs && s.lost === 0);
    const best = ok.sort((a, b) => b.throughput - a.throughput)[0];
    log(`offline drain of ${args.offlineK} messages`);
    const offlineDrain = await load.offlineDrain(args.offlineK);
    load.close();

    // the pipeline stores with batched inserts, so the single-insert figure is not its limit
    const limits = parts.filter((p) => !p.name.includes('single'));
    const slowestPart = limits.sort((a, b) => a.perSecond - b.perSecond)[0] ?? null;
    const sustained = best ? { rate: best.throughput, p99Ms: best.e2eMs.p99 } : null;
    const maxThroughput = Math.max(0, ...steps.map((s) => s.throughput));

    const report: Report = {
      startedAt,
      quick: args.quick,
      machine: { cores: cpus().length, node: process.version },
      sockets: load.socketCount,
      messageBytes: args.messageBytes,
      typingShare: args.typingShare,
      typing: args.typingShare > 0 ? typingSummary(args.typingShare, typing, loadavg(), loadBefore) : undefined,
      steps,
      sustained,
      offlineDrain,
      idleSocketKB,
      idleSocketHeapKB,
      idleSocketRetainedKB,
      cpu,
      stepCpu,
      edgeCpu: stack ? edgeCpu : undefined,
      edgeIdlePct: stack ? edgeIdlePct : undefined,
      cpuFloor: cpuFloor(parts, cpus().length),
      storeCalls,
      stepStoreCalls,
      parts,
      slowestPart,
      pipelineFractionOfSlowestPart: slowestPart ? Math.round((maxThroughput / slowestPart.perSecond) * 100) / 100 : null,
    };
    const files = await writeReport(resolve(REPO_ROOT, args.out), report);
    process.stdout.write('\n' + markdown(report) + '\n');
    log(`wrote ${files.join(', ')}`);
  } finally {
    if (stack) {
      await stack.stop();
      await removeNamespace({ namespace: ns, mongoUrl, redisUrl, rabbitUrl }).catch(() => undefined);
    }
    if (ferret) await stopProcess(ferret);
  }
}

main().then(
  () => process.exit(0),
  (err) => {
    process.stderr.write(`[bench] failed: ${(err as Error).stack ?? err}\n`);
    process.exit(1);
  },
);
