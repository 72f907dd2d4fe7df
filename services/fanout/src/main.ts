import { decodeFanoutEvent, RoutingKeys, type FanoutEvent } from '@chat/contracts';
import { EdgeChannel, OfflineInbox, Presence } from '@chat/delivery';
import { runConsumerService } from '@chat/lifecycle';
import { deliveryLatency, offlineParked } from '@chat/ops';
import { GroupStore } from '@chat/store';
import { DeliverMessagesUseCase } from './usecases/deliver-messages/deliver-messages.usecase';

runConsumerService<FanoutEvent>('fanout', { redis: 'required' }, async ({ config, log, topology, models, redis }) => {
  const inbox = new OfflineInbox(redis, config.CHAT_NAMESPACE, undefined, config.OFFLINE_INBOX_MAX);
  const deliver = new DeliverMessagesUseCase(
    new Presence(redis, config.CHAT_NAMESPACE, config.PRESENCE_TTL_MS),
    inbox,
    new EdgeChannel(redis, config.CHAT_NAMESPACE),
    new GroupStore(models),
  );
  return {
    consumer: {
      queues: topology.fanoutQueues,
      decode: decodeFanoutEvent,
      handle: async (batch) => {
        const events = batch.map((d) => d.payload);
        const report = await deliver.execute(events);
        const now = Date.now();
        for (const e of events) {
          if (e.type === RoutingKeys.messagePersisted && !e.replay) deliveryLatency.observe(Math.max(0, now - Date.parse(e.message.createdAt)) / 1000);
        }
        if (report.parked > 0) offlineParked.inc(report.parked);
        log.debug({ ...report, correlationIds: events.map((e) => e.correlationId) }, 'delivered');
      },
    },
    stopped: () => inbox.close(),
  };
});
