/* npm start: runs the whole system on this machine, each service its own process, with readable logs. */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import mongoose from 'mongoose';
import { DEFAULT_POSTGRES_SERVER, startDevStore, type DevStore, type StoreBackend } from './dev-store';
import { redactUrl, REPO_ROOT } from './ferretdb';
import { canConnect } from './ports';
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
    out = `${LEVELS[Number(j.level)] ?? 'INFO '} ${typeof j.msg === 'string' ? j.msg : ''}${extras ? `  ${extras}` : ''}`;
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

/** Null when the MongoDB-wire store at `url` answers a ping within 5 s, otherwise why not. */
async function storeRefusal(url: string): Promise<string | null> {
  const client = new mongoose.mongo.MongoClient(url, {
    serverSelectionTimeoutMS: 5000,
    connectTimeoutMS: 5000,
    socketTimeoutMS: 5000,
    maxPoolSize: 1,
  });
  try {
    await client.db('admin').command({ ping: 1 });
    return null;
  } catch (err) {
    return (err as Error).message;
  } finally {
    await client.close(true).catch(() => undefined);
  }
}

/** Prints, every 10 s until all are ready, which services have not said they are ready yet. */
function reportStragglers(stack: Stack): () => void {
  const ready = new Set<string>();
  const watched = new Set<string>();
  const started = Date.now();
  let ticks = 0;
  const timer = setInterval(() => {
    for (const [name, p] of stack.processes) {
      if (watched.has(name)) continue;
      watched.add(name);
      void p.ready.then(
        () => ready.add(name),
        () => undefined,
      );
    }
    if (++ticks % 10 !== 0) return;
    const waiting = [...stack.processes.keys()].filter((n) => !ready.has(n));
    if (waiting.length)
      pretty(
        'stack',
        `still waiting (${Math.round((Date.now() - started) / 1000)} s) for ${waiting.join(', ')} to be ready; their last lines above say what they wait for`,
      );
  }, 1000);
  return () => clearInterval(timer);
}

async function main(): Promise<void> {
  const redisUrl = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
  const rabbitUrl = process.env.RABBITMQ_URL ?? 'amqp://guest:guest@127.0.0.1:5672';
  await need('Redis', redisUrl, 'Start it: redis-server --daemonize yes   (install: apt-get install redis-server), or set REDIS_URL.');
  await need(
    'RabbitMQ',
    rabbitUrl,
    'Start it: rabbitmq-server -detached   (install: apt-get install rabbitmq-server), or set RABBITMQ_URL.',
  );

  let store: DevStore | null = null;
  let mongoUrl = process.env.MONGO_URL;
  if (mongoUrl) {
    pretty('stack', `checking the store at ${redactUrl(mongoUrl)} (MONGO_URL)`);
    const refusal = await storeRefusal(mongoUrl);
    if (refusal) {
      process.stderr.write(
        `\nThe store at ${redactUrl(mongoUrl)} (MONGO_URL) does not answer: ${refusal}.\n  Start it, fix MONGO_URL, or unset MONGO_URL to let npm start run FerretDB.\n\n`,
      );
      process.exit(1);
    }
  } else {
    const port = Number(process.env.FERRETDB_PORT ?? 27018);
    mongoUrl = `mongodb://127.0.0.1:${port}/chat`;
    if (await canConnect('127.0.0.1', port)) {
      pretty('stack', `using the MongoDB-compatible store already listening on 127.0.0.1:${port} (another npm start's FerretDB?)`);
    } else {
      const sqliteDir = join(REPO_ROOT, '.data', 'ferretdb');
      const wanted = (process.env.FERRETDB_BACKEND ?? 'auto') as 'auto' | StoreBackend;
      if (!['auto', 'postgresql', 'sqlite'].includes(wanted))
        throw new Error(`FERRETDB_BACKEND must be postgresql or sqlite, not ${wanted}`);
      store = await startDevStore({
        port,
        postgresUrl: process.env.CHAT_POSTGRES_URL ?? `${DEFAULT_POSTGRES_SERVER}/chat_dev`,
        postgresUrlEnv: 'CHAT_POSTGRES_URL',
        sqliteDir,
        stateDir: join(REPO_ROOT, '.data', 'ferretdb-state'),
        backend: wanted,
        say: (line, level) => pretty('stack', level === 'warn' ? `WARN  ${line}` : line),
        onLine: pretty,
      });
      if (store.backend === 'postgresql' && existsSync(join(sqliteDir, 'chat.sqlite'))) {
        pretty('stack', `(the SQLite store of earlier runs stays in ${sqliteDir}; FERRETDB_BACKEND=sqlite npm start uses it)`);
      }
      pretty('stack', `set MONGO_URL to use a MongoDB instead`);
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
  let code = 0;
  const stop = async () => {
    if (stopping) return;
    stopping = true;
    pretty('stack', 'stopping every service');
    await stack.stop();
    if (store) await store.stop();
    process.exit(code);
  };
  process.on('SIGINT', () => void stop());
  process.on('SIGTERM', () => void stop());
  const stopReporting = reportStragglers(stack);
  try {
    await stack.start();
  } catch (err) {
    pretty('stack', `failed to start: ${(err as Error).message}`);
    code = 1;
    await stop();
    return;
  } finally {
    stopReporting();
  }
  pretty('stack', `ready: edges ${stack.edgeUrls.join(', ')} (Socket.IO namespace /chat), auth gRPC ${stack.authAddress}`);
  pretty(
    'stack',
    `demo chat ${stack.edgeUrls[0]}/demo · API docs ${stack.edgeUrls[0]}/docs · dashboard ${stack.edgeUrls[0]}/admin (admin token: npm run token -- --admin)`,
  );
  pretty('stack', `health and metrics: ${[...stack.opsUrls].map(([n, u]) => `${n} ${u}/metrics`).join(', ')}`);
}

main().catch((err) => {
  process.stderr.write(`\nnpm start: ${(err as Error).message}\n\n`);
  process.exit(1);
});
