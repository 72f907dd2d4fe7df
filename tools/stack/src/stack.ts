import { join } from 'node:path';
import { REPO_ROOT } from './ferretdb';
import { freePort, waitForPort } from './ports';
import { spawnManaged, stopProcess, type ManagedProcess } from './process';

export type ServiceName = 'auth' | 'edge' | 'persistence' | 'fanout' | 'receipts';

export interface StackOptions {
  namespace: string;
  mongoUrl: string;
  redisUrl: string;
  rabbitUrl: string;
  edges?: number;
  workers?: number;
  /** Fixed ports for npm start; tests take free ones. */
  edgePorts?: number[];
  authPort?: number;
  /** Fixed ops ports by process name (npm start); others take free ones. */
  opsPorts?: Record<string, number>;
  env?: Record<string, string>;
  logDir?: string;
  onLine?: (name: string, line: string) => void;
  /** Extra Node flags per service, after STACK_NODE_ARGS (the bench opens the edges' inspector on loopback). */
  nodeArgs?: Partial<Record<ServiceName, string[]>>;
}

const READY: Record<ServiceName, RegExp> = {
  auth: /auth service listening/,
  edge: /edge listening/,
  persistence: /persistence worker consuming/,
  fanout: /fanout worker consuming/,
  receipts: /receipts worker consuming/,
};

/** A running system: auth, N edges, N copies of each worker, each its own process. */
export class Stack {
  readonly processes = new Map<string, ManagedProcess>();
  readonly edgeUrls: string[] = [];
  /** Where each process serves /healthz, /readyz and /metrics (its OPS_PORT, never the public one). */
  readonly opsUrls = new Map<string, string>();
  authAddress = '';
  private readonly env: NodeJS.ProcessEnv;

  constructor(private readonly o: StackOptions) {
    this.env = {
      ...process.env,
      NODE_ENV: process.env.NODE_ENV === 'production' ? 'production' : 'development',
      CHAT_NAMESPACE: o.namespace,
      MONGO_URL: o.mongoUrl,
      REDIS_URL: o.redisUrl,
      RABBITMQ_URL: o.rabbitUrl,
      LOG_LEVEL: process.env.LOG_LEVEL ?? 'info',
      // a local stack's edges stop within a few seconds (Ctrl-C, a test's SIGTERM): the production
      // default spreads reconnects over 10 s
      DRAIN_WINDOW_MS: process.env.DRAIN_WINDOW_MS ?? '2000',
      ...o.env,
    };
  }

  async start(): Promise<this> {
    const authPort = this.o.authPort ?? (await freePort());
    this.authAddress = `127.0.0.1:${authPort}`;
    this.env.AUTH_GRPC_URL = this.authAddress;
    await this.spawn('auth', 'auth', await this.opsPort('auth'));
    const edges = this.o.edges ?? 2;
    const workers = this.o.workers ?? 2;
    const starts: Array<Promise<void>> = [];
    for (let i = 1; i <= edges; i++) {
      const port = this.o.edgePorts?.[i - 1] ?? (await freePort());
      this.edgeUrls.push(`http://127.0.0.1:${port}`);
      starts.push(this.opsPort(`edge-${i}`).then((ops) => this.spawn('edge', `edge-${i}`, { PORT: String(port), ...ops })));
    }
    for (const svc of ['persistence', 'fanout', 'receipts'] as const) {
      for (let i = 1; i <= workers; i++) starts.push(this.opsPort(`${svc}-${i}`).then((env) => this.spawn(svc, `${svc}-${i}`, env)));
    }
    await Promise.all(starts);
    return this;
  }

  private async opsPort(name: string): Promise<Record<string, string>> {
    const port = this.o.opsPorts?.[name] ?? (await freePort());
    this.opsUrls.set(name, `http://127.0.0.1:${port}`);
    return { OPS_PORT: String(port) };
  }

  private serviceOf(name: string): ServiceName {
    return name.replace(/-\d+$/, '') as ServiceName;
  }

  /** Starts (or restarts) one named process and waits until it is ready. */
  async spawn(service: ServiceName, name: string, extraEnv: Record<string, string> = {}): Promise<void> {
    const prev = this.processes.get(name);
    const env = {
      ...this.env,
      ...(prev ? (prev as ManagedProcess & { extraEnv?: Record<string, string> }).extraEnv : {}),
      ...extraEnv,
      INSTANCE_ID: name,
    };
    const p = spawnManaged({
      name,
      command: process.execPath,
      // STACK_NODE_ARGS passes flags Node refuses in NODE_OPTIONS, e.g. "--cpu-prof --cpu-prof-dir=.data/prof"
      args: [
        ...(process.env.STACK_NODE_ARGS ?? '').split(' ').filter(Boolean),
        ...(this.o.nodeArgs?.[service] ?? []),
        join(REPO_ROOT, 'services', service, 'dist', 'main.js'),
      ],
      env,
      readyLine: READY[service],
      logDir: this.o.logDir,
      onLine: this.o.onLine,
    }) as ManagedProcess & { extraEnv?: Record<string, string> };
    p.extraEnv = { ...(prev as { extraEnv?: Record<string, string> } | undefined)?.extraEnv, ...extraEnv };
    this.processes.set(name, p);
    await p.ready;
    if (service === 'auth') {
      const [host, port] = this.authAddress.split(':');
      await waitForPort(host, Number(port), 10000, 'auth');
    }
  }

  async restart(name: string): Promise<void> {
    await this.spawn(this.serviceOf(name), name);
  }

  /** Sends a signal and waits for the process to exit (SIGKILL: no chance to clean up). */
  async kill(name: string, signal: NodeJS.Signals = 'SIGKILL'): Promise<number | null> {
    const p = this.processes.get(name);
    if (!p) throw new Error(`no process ${name}`);
    return stopProcess(p, signal);
  }

  async stop(): Promise<void> {
    await Promise.all([...this.processes.values()].map((p) => stopProcess(p, 'SIGTERM', 10000)));
  }
}
