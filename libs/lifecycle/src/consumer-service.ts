import { Redis } from 'ioredis';
import {
  BatchConsumer,
  brokerUp,
  buildTopology,
  connectBroker,
  exportQueueDepths,
  QueueAdmin,
  TransientError,
  type BrokerConnection,
  type ConsumerOptions,
  type Topology,
} from '@chat/broker';
import { loadConfig, type Config } from '@chat/config';
import { Unavailable } from '@chat/contracts';
import { isRedisUnavailable, StageTimes } from '@chat/delivery';
import { createLogger, type Logger } from '@chat/logging';
import { closeServer, initMetrics, Readiness, stageSummary, startOpsServer } from '@chat/ops';
import { isStoreUnavailable, openStore, pingStore, type Models, type StoreConnection } from '@chat/store';
import { runService, waitFor } from './service';

/**
 * Whether a failed batch should wait and be tried again in process rather than count against its
 * deliveries: the store, Redis or the broker (an unconfirmed publish) is down. The broker keeps the batch
 * if the worker dies meanwhile; anything else is retried a few times, then dead-lettered (BatchConsumer).
 */
export function isTransient(err: unknown): boolean {
  return isStoreUnavailable(err) || isRedisUnavailable(err) || err instanceof Unavailable;
}

/** What a worker's wiring gets: its configuration and the connections every worker opens. */
export interface WorkerContext {
  config: Config;
  log: Logger;
  topology: Topology;
  db: StoreConnection;
  models: Models;
  redis: Redis;
  broker: BrokerConnection;
  waitFor: (what: string, hint: string, check: () => Promise<unknown>) => Promise<void>;
}

/** A worker's own part: the queues it consumes and how it handles a batch, and hooks around its stop. */
export interface WorkerPlan<T> {
  consumer: Omit<ConsumerOptions<T>, 'prefetch' | 'batchMax'>;
  /** Fields for the "consuming" log line. */
  describe?: Record<string, unknown>;
  /** Once consuming (e.g. a timer that reads the consumer's lag). */
  started?(consumer: BatchConsumer<T>): void;
  /** On stop, before the consumer stops taking work. */
  stopping?(): Promise<void>;
  /** On stop, after the consumer's batches have finished, before the connections close. */
  stopped?(): Promise<void>;
}

export interface WorkerOptions {
  /** 'required': the worker waits for Redis and reports unready without it; 'best-effort': neither. */
  redis: 'required' | 'best-effort';
}

/**
 * Runs a broker-consuming worker (persistence, fanout, receipts): opens the store, Redis and the broker,
 * consumes with the plan's handler (a dependency outage holds the batch, see isTransient), serves
 * readiness and metrics, and on SIGTERM stops in order: unready first, then the consumer (in-flight batches
 * finish), then the worker's own parts, then the connections, the ops server last.
 */
export function runConsumerService<T>(name: string, options: WorkerOptions, build: (ctx: WorkerContext) => Promise<WorkerPlan<T>>): void {
  runService(name, async () => {
    const config = loadConfig();
    const log = createLogger(name, { level: config.LOG_LEVEL, instance: config.INSTANCE_ID });
    initMetrics(name, config.INSTANCE_ID);
    const topology = buildTopology(config.CHAT_NAMESPACE, config.PARTITIONS);
    const wait = (what: string, hint: string, check: () => Promise<unknown>) => waitFor(what, hint, check, log);
    const connectionName = `${name}-${config.INSTANCE_ID}`;

    const { db, models } = await openStore(config.MONGO_URL, connectionName, log, wait);
    const redis = openRedis(config.REDIS_URL, connectionName, options.redis, log);
    if (options.redis === 'required') await wait('Redis', 'Start redis-server or set REDIS_URL.', () => redis.ping());
    const broker = connectBroker(config.RABBITMQ_URL, log, connectionName);

    const plan = await build({ config, log, topology, db, models, redis, broker, waitFor: wait });
    const handle = plan.consumer.handle;
    const consumer = new BatchConsumer<T>(
      broker,
      topology,
      {
        ...plan.consumer,
        prefetch: config.BROKER_PREFETCH,
        batchMax: config.BATCH_MAX,
        handle: async (batch) => {
          try {
            return await handle(batch);
          } catch (err) {
            throw isTransient(err) ? new TransientError((err as Error).message) : err;
          }
        },
      },
      log,
    );
    await wait('RabbitMQ', 'Start rabbitmq-server or set RABBITMQ_URL.', () => consumer.waitForConnect());
    plan.started?.(consumer);
    const readiness = new Readiness([
      ...(options.redis === 'required' ? [{ name: 'redis', check: () => redis.ping() }] : []),
      { name: 'mongodb', check: () => pingStore(db) },
      { name: 'rabbitmq', check: () => brokerUp(broker) },
    ]);
    const queueAdmin = new QueueAdmin(broker, topology);
    exportQueueDepths(queueAdmin, topology, plan.consumer.queues);
    const ops = await startOpsServer(config.OPS_PORT, readiness, log);
    // the stage latencies this worker saw in the last minute, for the dashboard (best effort)
    const stopStageTimes = new StageTimes(redis, config.CHAT_NAMESPACE).startPublishing(`${name}:${config.INSTANCE_ID}`, stageSummary);
    log.info({ queues: plan.consumer.queues.length, ...plan.describe }, `${name} worker consuming`);

    return {
      log,
      stop: async () => {
        readiness.drain();
        stopStageTimes();
        await plan.stopping?.();
        await consumer.close();
        await plan.stopped?.();
        await queueAdmin.close();
        await broker.close();
        await db.close();
        redis.disconnect();
        await closeServer(ops);
      },
    };
  });
}

function openRedis(url: string, connectionName: string, use: WorkerOptions['redis'], log: Logger): Redis {
  if (use === 'best-effort') {
    // nothing waits for it: a call fails at once while it is away, and the caller does without
    const redis = new Redis(url, { maxRetriesPerRequest: 1, enableOfflineQueue: false, connectionName });
    redis.on('error', () => undefined);
    return redis;
  }
  const redis = new Redis(url, { maxRetriesPerRequest: 3, connectionName });
  redis.on('error', (err) => log.warn({ err: err.message }, 'redis error'));
  return redis;
}
