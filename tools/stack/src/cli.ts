/* npm start: runs the whole system on this machine, each service its own process, with readable logs. */
import { join } from 'node:path';
import { REPO_ROOT, startFerretDB } from './ferretdb';
import { canConnect } from './ports';
import { stopProcess, type ManagedProcess } from './process';
import { Stack } from './stack';

const LEVELS: Record<number, string> = { 10: 'TRACE', 20: 'DEBUG', 30: 'INFO ', 40: 'WARN ', 50: 'ERROR', 60: 'FATAL' };
const SKIP = new Set(['level', 'time', 'msg', 'service', 'instance', 'pid', 'hostname']);

function pretty(name: string, line: string): void {
  if (!line.trim()) return;
  let out = line;
  try {
    const j = JSON.parse(line) as Record<string, unknown>;
    const extras = Object.entries(j)
      .filter(([k]) => !SKIP.has(k))
      .map(([k, v]) => `${k}=${typeof v === 'string' ? v : JSON.stringify(v)}`)
      .join(' ');
    out = `${LEVELS[Number(j.level)] ?? 'INFO '} ${String(j.msg ?? '')}${extras ? `  ${extras}` : ''}`;
  } catch {
    // not JSON (FerretDB, a crash trace): print as it is
  }
  process.stdout.write(`${new Date().toISOString().slice(11, 19)} [${name.padEnd(13)}] ${out}\n`);
}

async function need(what: string, url: string, hint: string): Promise<void> {
  const u = new URL(url);
  const port = Number(u.port || (u.protocol.startsWith('amqp') ? 5672 : 6379));
  if (!(await canConnect(u.hostname, port))) {
    process.stderr.write(`\n${what} is not reachable at ${u.hostname}:${port}.\n  ${hint}\n\n`);
    process.exit(1);
  }
}

async function main(): Promise<void> {
  const redisUrl = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
  const rabbitUrl = process.env.RABBITMQ_URL ?? 'amqp://guest:guest@127.0.0.1:5672';
  await need('Redis', redisUrl, 'Start it: redis-server --daemonize yes   (install: apt-get install redis-server), or set REDIS_URL.');
  await need('RabbitMQ', rabbitUrl, 'Start it: rabbitmq-server -detached   (install: apt-get install rabbitmq-server), or set RABBITMQ_URL.');

  let ferret: ManagedProcess | null = null;
  let mongoUrl = process.env.MONGO_URL;
  if (!mongoUrl) {
    const port = Number(process.env.FERRETDB_PORT ?? 27018);
    mongoUrl = `mongodb://127.0.0.1:${port}/chat`;
    if (await canConnect('127.0.0.1', port)) {
      pretty('stack', `using the MongoDB-compatible store already listening on 127.0.0.1:${port}`);
    } else {
      const dataDir = join(REPO_ROOT, '.data', 'ferretdb');
      pretty('stack', `starting FerretDB v1.24.2 on 127.0.0.1:${port} (SQLite in ${dataDir}); set MONGO_URL to use MongoDB`);
      ferret = await startFerretDB({ port, backend: { kind: 'sqlite', dir: dataDir }, stateDir: join(dataDir, 'state'), onLine: pretty });
    }
  }

  const edges = Number(process.env.EDGES ?? 2);
  const basePort = Number(process.env.PORT ?? 3000);
  const stack = new Stack({
    namespace: process.env.CHAT_NAMESPACE ?? 'chat',
    mongoUrl,
    redisUrl,
    rabbitUrl,
    edges,
    workers: Number(process.env.WORKERS ?? 1),
    edgePorts: [...Array(edges).keys()].map((i) => basePort + i),
    authPort: Number((process.env.AUTH_GRPC_URL ?? '127.0.0.1:50051').split(':')[1]),
    onLine: pretty,
    env: { DEMO_ENABLED: process.env.DEMO_ENABLED ?? 'true' },
  });
  let stopping = false;
  const stop = async () => {
    if (stopping) return;
    stopping = true;
    pretty('stack', 'stopping every service');
    await stack.stop();
    if (ferret) await stopProcess(ferret);
    process.exit(0);
  };
  process.on('SIGINT', () => void stop());
  process.on('SIGTERM', () => void stop());
  try {
    await stack.start();
  } catch (err) {
    pretty('stack', `failed to start: ${(err as Error).message}`);
    await stop();
  }
  pretty('stack', `ready: edges ${stack.edgeUrls.join(', ')} (Socket.IO namespace /chat), auth gRPC ${stack.authAddress}`);
  pretty('stack', `demo chat ${stack.edgeUrls[0]}/demo · API docs ${stack.edgeUrls[0]}/docs · dashboard ${stack.edgeUrls[0]}/admin (admin token: npm run token -- --admin)`);
  pretty('stack', `health and metrics: ${[...stack.opsUrls].map(([n, u]) => `${n} ${u}/metrics`).join(', ')}`);
}

void main();
