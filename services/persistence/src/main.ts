import { BatchConsumer, buildTopology, connectBroker, Publisher, TransientError, partitionKey, type Outcome } from '@chat/broker';
import { loadConfig } from '@chat/config';
import { AppError, decodeSendCommand, PARTITIONS, partitionOf, RoutingKeys, type SendMessageCommand } from '@chat/contracts';
import { runService, waitFor } from '@chat/lifecycle';
import { createLogger } from '@chat/logging';
import { connectStore, ConversationStore, createModels, ensureIndexes, isStoreUnavailable, MessageStore } from '@chat/store';
import { StoreMessagesUseCase } from './usecases/store-messages/store-messages.usecase';

runService('persistence', async () => {
  const config = loadConfig();
  const log = createLogger('persistence', { level: config.LOG_LEVEL, instance: config.INSTANCE_ID });
  const topology = buildTopology(config.CHAT_NAMESPACE);

  const db = connectStore(config.MONGO_URL, `persistence-${config.INSTANCE_ID}`);
  db.on('error', (err: Error) => log.warn({ err: err.message }, 'store connection error'));
  await waitFor('MongoDB', 'Start it (npm start runs FerretDB) or set MONGO_URL.', () => db.asPromise(), log);
  const models = createModels(db);
  await ensureIndexes(models);
  const storeMessages = new StoreMessagesUseCase(new MessageStore(models), new ConversationStore(models));

  const broker = connectBroker(config.RABBITMQ_URL, log, `persistence-${config.INSTANCE_ID}`);
  const publisher = new Publisher(broker, topology, config.PUBLISH_TIMEOUT_MS);
  await waitFor('RabbitMQ', 'Start rabbitmq-server or set RABBITMQ_URL.', () => publisher.waitForConnect(), log);

  const consumer = new BatchConsumer<SendMessageCommand>(
    broker,
    topology,
    {
      queues: topology.persistQueues,
      prefetch: config.BROKER_PREFETCH,
      batchMax: config.BATCH_MAX,
      decode: decodeSendCommand,
      handle: async (batch): Promise<Outcome[]> => {
        let result;
        try {
          result = await storeMessages.execute(batch.map((d) => d.payload));
        } catch (err) {
          if (isStoreUnavailable(err)) throw new TransientError((err as Error).message);
          throw err;
        }
        // the persisted event must be confirmed before the command is acked, or a crash here would lose delivery
        await Promise.all(
          result.events.map(async (ev) => {
            if (!ev) return;
            const key = partitionKey(RoutingKeys.messagePersisted, partitionOf(ev.message.roomId, PARTITIONS));
            try {
              await publisher.publishConfirmed(key, ev, { correlationId: ev.correlationId });
            } catch (err) {
              throw err instanceof AppError ? new TransientError(err.message) : err;
            }
          }),
        );
        result.events.forEach((ev, i) => {
          if (ev) log.debug({ correlationId: ev.correlationId, messageId: ev.message.id, seq: ev.message.seq, replay: ev.replay }, 'stored');
          else log.error({ correlationId: batch[i].payload.correlationId, roomId: batch[i].payload.message.roomId }, 'room does not exist; dead-lettered');
        });
        return result.events.map((ev) => (ev ? 'ack' : 'dead'));
      },
    },
    log,
  );
  await consumer.waitForConnect();
  log.info({ queues: topology.persistQueues.length, prefetch: config.BROKER_PREFETCH }, 'persistence worker consuming');

  return {
    log,
    stop: async () => {
      await consumer.close();
      await publisher.close();
      await broker.close();
      await db.close();
    },
  };
});
