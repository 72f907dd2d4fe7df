import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { canConnect, REPO_ROOT, startFerretDB, stopProcess, type ManagedProcess } from '@chat/stack';

export interface Infra {
  mode: 'containers' | 'local';
  mongoUrl: string;
  redisUrl: string;
  rabbitUrl: string;
  stop: () => Promise<void>;
}

function dockerAvailable(): boolean {
  return Boolean(process.env.DOCKER_HOST) || existsSync('/var/run/docker.sock');
}

async function containers(): Promise<Infra> {
  const { GenericContainer, Wait } = await import('testcontainers');
  const [mongo, redis, rabbit] = await Promise.all([
    new GenericContainer('mongo:7').withExposedPorts(27017).start(),
    new GenericContainer('redis:7').withExposedPorts(6379).start(),
    new GenericContainer('rabbitmq:4.4-management')
      .withExposedPorts(5672)
      .withWaitStrategy(Wait.forLogMessage(/Server startup complete/))
      .start(),
  ]);
  return {
    mode: 'containers',
    mongoUrl: `mongodb://${mongo.getHost()}:${mongo.getMappedPort(27017)}/chat_test`,
    redisUrl: `redis://${redis.getHost()}:${redis.getMappedPort(6379)}`,
    rabbitUrl: `amqp://guest:guest@${rabbit.getHost()}:${rabbit.getMappedPort(5672)}`,
    stop: async () => {
      await Promise.all([mongo.stop(), redis.stop(), rabbit.stop()]);
    },
  };
}

async function local(): Promise<Infra> {
  const redisUrl = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
  const rabbitUrl = process.env.RABBITMQ_URL ?? 'amqp://guest:guest@127.0.0.1:5672';
  for (const [what, host, port, hint] of [
    ['Redis', new URL(redisUrl).hostname, Number(new URL(redisUrl).port || 6379), 'redis-server --daemonize yes'],
    ['RabbitMQ', new URL(rabbitUrl).hostname, Number(new URL(rabbitUrl).port || 5672), 'rabbitmq-server -detached'],
  ] as const) {
    if (!(await canConnect(host, port))) throw new Error(`${what} is not reachable at ${host}:${port}; start it (${hint}) or run .ci/run`);
  }
  let ferret: ManagedProcess | null = null;
  let mongoUrl = process.env.MONGO_URL;
  if (!mongoUrl) {
    const port = Number(process.env.TEST_FERRETDB_PORT ?? 27019);
    const pgUrl = process.env.TEST_POSTGRES_URL ?? 'postgres://postgres@127.0.0.1:5432/chat_test';
    if (!(await canConnect('127.0.0.1', port))) {
      ferret = await startFerretDB({
        port,
        backend: { kind: 'postgresql', url: pgUrl },
        stateDir: join(REPO_ROOT, '.data', 'ferretdb-test-state'),
        logDir: join(REPO_ROOT, '.data', 'test-logs'),
        debugAddr: process.env.TEST_FERRETDB_DEBUG_ADDR,
        postgresUrlEnv: 'TEST_POSTGRES_URL',
      });
    }
    mongoUrl = `mongodb://127.0.0.1:${port}/chat_test`;
  }
  return {
    mode: 'local',
    mongoUrl,
    redisUrl,
    rabbitUrl,
    stop: async () => {
      if (ferret) await stopProcess(ferret);
    },
  };
}

/**
 * The one place that decides where the integration tests' MongoDB, Redis and RabbitMQ come from:
 * containers (testcontainers) when a Docker engine is reachable and TEST_INFRA is not 'local', otherwise
 * the services running on this machine, with FerretDB (on the local PostgreSQL) standing in for MongoDB.
 */
export async function resolveInfra(): Promise<Infra> {
  const wantContainers = process.env.TEST_INFRA !== 'local' && dockerAvailable();
  const infra = wantContainers ? await containers() : await local();
  process.stdout.write(
    `\n[infra] ${infra.mode === 'containers' ? 'testcontainers (Docker)' : 'local services (no Docker engine): FerretDB on PostgreSQL for MongoDB'}\n` +
      `[infra] mongo=${infra.mongoUrl} redis=${infra.redisUrl} rabbitmq=${infra.rabbitUrl.replace(/\/\/[^@]*@/, '//***@')}\n`,
  );
  return infra;
}
