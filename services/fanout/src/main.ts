import { decodeFanoutEvent, type FanoutEvent } from '@chat/contracts';
import { EdgeChannel, OfflineInbox, Presence } from '@chat/delivery';
import { runConsumerService } from '@chat/lifecycle';
import { BlockStore, GroupStore } from '@chat/store';
import { recordDelivered } from './delivery-metrics';
import { DeliverMessagesUseCase } from './usecases/deliver-messages/deliver-messages.usecase';

runConsumerService<FanoutEvent>('fanout', { redis: 'required' }, async ({ config, log, topology, models, redis }) => {
  const inbox = new OfflineInbox(redis, config.CHAT_NAMESPACE, undefined, config.OFFLINE_INBOX_MAX);
  const deliver = new DeliverMessagesUseCase(
    new Presence(redis, config.CHAT_NAMESPACE, config.PRESENCE_TTL_MS),
    inbox,
    new EdgeChannel(redis, config.CHAT_NAMESPACE),
    new GroupStore(models),
    new BlockStore(models),
  );
  return {
    consumer: {
      queues: topology.fanoutQueues,
      decode: decodeFanoutEvent,
      handle: async (batch) => {
        const events = batch.map((d) => d.payload);
        const report = await deliver.execute(events);
        recordDelivered(events, report);
        log.debug({ ...report, correlationIds: events.map((e) => e.correlationId) }, 'delivered');
      },
    },
    stopped: () => inbox.close(),
  };
});
