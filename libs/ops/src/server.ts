import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { Logger } from '@chat/logging';
import { dependencyUp, metricsRegistry, runScrapeHooks } from './metrics';

/** One dependency a service needs to do its work; `check` rejects (or times out) when it cannot. */
export interface DependencyCheck {
  name: string;
  check: () => Promise<unknown>;
}

export interface ReadinessReport {
  status: 'ready' | 'unready';
  /** Per dependency: ok or unavailable; the reason goes to the dependency_up metric and logs, never to the caller. */
  checks: Record<string, 'ok' | 'unavailable' | 'draining'>;
}

/**
 * Liveness says the process runs; readiness says every dependency answers now. Readiness is computed on
 * each request (with a deadline per check), so it fails while a dependency is down and recovers on its
 * own as soon as the dependency is back, with no state to reset.
 */
export class Readiness {
  private draining = false;

  constructor(
    private readonly checks: DependencyCheck[],
    private readonly timeoutMs = 1500,
  ) {}

  /** Called on SIGTERM: report unready so load balancers stop sending work before the process exits. */
  drain(): void {
    this.draining = true;
  }

  async report(): Promise<ReadinessReport> {
    const results = await Promise.all(
      this.checks.map(async ({ name, check }) => {
        let timer: NodeJS.Timeout | undefined;
        try {
          await Promise.race([
            check(),
            new Promise((_, reject) => {
              timer = setTimeout(() => reject(new Error(`no answer within ${this.timeoutMs} ms`)), this.timeoutMs);
            }),
          ]);
          dependencyUp.set({ dependency: name }, 1);
          return [name, 'ok'] as const;
        } catch {
          dependencyUp.set({ dependency: name }, 0);
          return [name, 'unavailable'] as const;
        } finally {
          clearTimeout(timer);
        }
      }),
    );
    const checks: ReadinessReport['checks'] = Object.fromEntries(results);
    if (this.draining) checks.shutdown = 'draining';
    const ok = !this.draining && results.every(([, r]) => r === 'ok');
    return { status: ok ? 'ready' : 'unready', checks };
  }
}

function send(res: ServerResponse, status: number, body: string, type: string): void {
  res.writeHead(status, { 'content-type': type, 'cache-control': 'no-store' });
  res.end(body);
}

/**
 * Handles GET /healthz, /readyz and /metrics; answers false for any other path so a caller can mount it
 * in front of its own routes (the edge) or serve it alone (workers, auth).
 */
export function opsHandler(readiness: Readiness): (req: IncomingMessage, res: ServerResponse) => boolean {
  return (req, res) => {
    const path = (req.url ?? '').split('?')[0];
    if (req.method !== 'GET' || !['/healthz', '/readyz', '/metrics'].includes(path)) return false;
    const fail = () => send(res, 500, JSON.stringify({ error: { code: 'INTERNAL', message: 'internal error' } }), 'application/json');
    if (path === '/healthz') send(res, 200, JSON.stringify({ status: 'ok', uptimeS: Math.round(process.uptime()) }), 'application/json');
    else if (path === '/readyz')
      readiness
        .report()
        .then((r) => send(res, r.status === 'ready' ? 200 : 503, JSON.stringify(r), 'application/json'))
        .catch(fail);
    else
      runScrapeHooks()
        .then(() => metricsRegistry.metrics())
        .then((text) => send(res, 200, text, metricsRegistry.contentType))
        .catch(fail);
    return true;
  };
}

/** A small HTTP server for a process that has no other: health, readiness and metrics on `port`. */
export async function startOpsServer(port: number, readiness: Readiness, log: Logger): Promise<Server> {
  const handle = opsHandler(readiness);
  const server = createServer((req, res) => {
    if (!handle(req, res)) send(res, 404, JSON.stringify({ error: { code: 'NOT_FOUND', message: 'not found' } }), 'application/json');
  });
  server.keepAliveTimeout = 65_000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, () => resolve());
  });
  log.info({ opsPort: port }, 'ops endpoints listening (/healthz, /readyz, /metrics)');
  return server;
}

export function closeServer(server: Server | undefined): Promise<void> {
  if (!server) return Promise.resolve();
  return new Promise((resolve) => {
    server.close(() => resolve());
    server.closeAllConnections();
  });
}
