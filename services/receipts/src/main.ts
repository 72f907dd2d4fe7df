import { Redis } from 'ioredis';
import { BatchConsumer, brokerUp, buildTopology, connectBroker, exportQueueDepths, QueueAdmin, TransientError } from '@chat/broker';
import { loadConfig } from '@chat/config';
import { decodeReceiptCommand, recipientsOf, type DeliveryEnvelope, type ReceiptCommand } from '@chat/contracts';
import { EdgeChannel, isRedisUnavailable, Presence, shareByEdge } from '@chat/delivery';
import { runService, waitFor } from '@chat/lifecycle';
import { createLogger } from '@chat/logging';
import { closeServer, initMetrics, Readiness, startOpsServer, timed } from '@chat/ops';
import { openStore, CursorStore, GroupStore, isStoreUnavailable, MessageStore, pingStore } from '@chat/store';
import { ApplyReceiptsUseCase } from './usecases/apply-receipts/apply-receipts.usecase';

runService('receipts', async () => {
  const config = loadConfig();
  const log = createLogger('receipts', { level: config.LOG_LEVEL, instance: config.INSTANCE_ID });
  initMetrics('receipts', config.INSTANCE_ID);
  const topology = buildTopology(config.CHAT_NAMESPACE, config.PARTITIONS);

  const { db, models } = await openStore(config.MONGO_URL, `receipts-${config.INSTANCE_ID}`, log, (what, hint, check) => waitFor(what, hint, check, log));
  const redis = new Redis(config.REDIS_URL, { maxRetriesPerRequest: 3, connectionName: `receipts-${config.INSTANCE_ID}` });
  redis.on('error', (err) => log.warn({ err: err.message }, 'redis error'));
  await waitFor('Redis', 'Start redis-server or set REDIS_URL.', () => redis.ping(), log);
  // this worker is the only writer of its partitions' cursors (single active consumer): it may remember them
  const cursors = new CursorStore(models, { writerCacheSize: 100_000 });
  const groups = new GroupStore(models);
  const messages = new MessageStore(models);
  const advance = timed('cursor.advance', (...a: Parameters<CursorStore['advance']>) => cursors.advance(...a));
  // receipts go to the edges holding their users' sockets; a user with none gets nothing live (the
  // cursors in the store are what a reconnect reads)
  const presence = new Presence(redis, config.CHAT_NAMESPACE, config.PRESENCE_TTL_MS);
  const edges = new EdgeChannel(redis, config.CHAT_NAMESPACE);
  const notify = { deliver: async (envs: DeliveryEnvelope[]) => edges.deliver(shareByEdge(envs, await presence.whereOnline(envs.flatMap(recipientsOf)))) };
  const apply = new ApplyReceiptsUseCase({ advance }, notify, {
    membersOf: (ids) => groups.membersOf(ids),
    forRoom: (roomId) => cursors.forRoom(roomId),
    sendersBetween: (roomId, after, upto, limit) => messages.sendersBetween(roomId, after, upto, limit),
  });

  const broker = connectBroker(config.RABBITMQ_URL, log, `receipts-${config.INSTANCE_ID}`);
  const consumer = new BatchConsumer<ReceiptCommand>(
    broker,
    topology,
    {
      queues: topology.receiptQueues,
      prefetch: config.BROKER_PREFETCH,
      batchMax: config.BATCH_MAX,
      decode: decodeReceiptCommand,
      handle: async (batch) => {
        try {
          const moves = await apply.execute(batch.map((d) => d.payload));
          log.debug({ receipts: batch.length, moved: moves.filter((m) => m.to > m.from).length, correlationIds: batch.map((d) => d.payload.correlationId) }, 'receipts applied');
        } catch (err) {
          // the store or Redis is down: hold the batch; cursors only move forward, so a retry is harmless
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
  exportQueueDepths(queueAdmin, topology, topology.receiptQueues);
  const ops = await startOpsServer(config.OPS_PORT, readiness, log);
  log.info('receipts worker consuming');

  return {
    log,
    stop: async () => {
      readiness.drain();
      await consumer.close();
      await queueAdmin.close();
      await broker.close();
      await db.close();
      redis.disconnect();
      await closeServer(ops);
    },
  };
});
