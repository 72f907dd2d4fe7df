import { Redis } from 'ioredis';
import { BatchConsumer, brokerUp, buildTopology, connectBroker, exportQueueDepths, QueueAdmin, TransientError } from '@chat/broker';
import { loadConfig } from '@chat/config';
import { decodeFanoutEvent, RoutingKeys, type FanoutEvent } from '@chat/contracts';
import { EdgeChannel, isRedisUnavailable, OfflineInbox, Presence } from '@chat/delivery';
import { runService, waitFor } from '@chat/lifecycle';
import { createLogger } from '@chat/logging';
import { closeServer, deliveryLatency, initMetrics, offlineParked, Readiness, startOpsServer } from '@chat/ops';
import { openStore, GroupStore, isStoreUnavailable, pingStore } from '@chat/store';
import { DeliverMessagesUseCase } from './usecases/deliver-messages/deliver-messages.usecase';

runService('fanout', async () => {
  const config = loadConfig();
  const log = createLogger('fanout', { level: config.LOG_LEVEL, instance: config.INSTANCE_ID });
  initMetrics('fanout', config.INSTANCE_ID);
  const topology = buildTopology(config.CHAT_NAMESPACE, config.PARTITIONS);

  const redis = new Redis(config.REDIS_URL, { maxRetriesPerRequest: 3, connectionName: `fanout-${config.INSTANCE_ID}` });
  redis.on('error', (err) => log.warn({ err: err.message }, 'redis error'));
  await waitFor('Redis', 'Start redis-server or set REDIS_URL.', () => redis.ping(), log);
  const { db, models } = await openStore(config.MONGO_URL, `fanout-${config.INSTANCE_ID}`, log, (what, hint, check) => waitFor(what, hint, check, log));
  const inbox = new OfflineInbox(redis, config.CHAT_NAMESPACE, undefined, config.OFFLINE_INBOX_MAX);
  const deliver = new DeliverMessagesUseCase(
    new Presence(redis, config.CHAT_NAMESPACE, config.PRESENCE_TTL_MS),
    inbox,
    new EdgeChannel(redis, config.CHAT_NAMESPACE),
    new GroupStore(models),
  );

  const broker = connectBroker(config.RABBITMQ_URL, log, `fanout-${config.INSTANCE_ID}`);
  const consumer = new BatchConsumer<FanoutEvent>(
    broker,
    topology,
    {
      queues: topology.fanoutQueues,
      prefetch: config.BROKER_PREFETCH,
      batchMax: config.BATCH_MAX,
      decode: decodeFanoutEvent,
      handle: async (batch) => {
        try {
          const report = await deliver.execute(batch.map((d) => d.payload));
          const now = Date.now();
          for (const { payload: e } of batch) {
            if (e.type === RoutingKeys.messagePersisted && !e.replay) deliveryLatency.observe(Math.max(0, now - Date.parse(e.message.createdAt)) / 1000);
          }
          if (report.parked > 0) offlineParked.inc(report.parked);
          log.debug({ ...report, correlationIds: batch.map((d) => d.payload.correlationId) }, 'delivered');
        } catch (err) {
          // Redis or the store unreachable: hold the batch and retry; the broker keeps it if we die.
          // Anything else is tried again in process a few times, then dead-lettered (BatchConsumer).
          if (isStoreUnavailable(err) || isRedisUnavailable(err)) throw new TransientError((err as Error).message);
          throw err;
        }
      },
    },
    log,
  );
  await waitFor('RabbitMQ', 'Start rabbitmq-server or set RABBITMQ_URL.', () => consumer.waitForConnect(), log);
  const readiness = new Readiness([
    { name: 'redis', check: () => redis.ping() },
    { name: 'mongodb', check: () => pingStore(db) },
    { name: 'rabbitmq', check: () => brokerUp(broker) },
  ]);
  const queueAdmin = new QueueAdmin(broker, topology);
  exportQueueDepths(queueAdmin, topology, topology.fanoutQueues);
  const ops = await startOpsServer(config.OPS_PORT, readiness, log);
  log.info({ queues: topology.fanoutQueues.length }, 'fanout worker consuming');

  return {
    log,
    stop: async () => {
      readiness.drain();
      await consumer.close();
      await queueAdmin.close();
      await broker.close();
      await inbox.close();
      await db.close();
      redis.disconnect();
      await closeServer(ops);
    },
  };
});
