import { decodeFanoutEvent, type FanoutEvent } from '@chat/contracts';
import {
  DeliveryTraces,
  EdgeChannel,
  fanoutWebhookEvents,
  OfflineInbox,
  OutboundQueue,
  OutboundSender,
  Presence,
  PushWindows,
  Webhooks,
} from '@chat/delivery';
import { runConsumerService } from '@chat/lifecycle';
import { outboundDeliveries } from '@chat/ops';
import { BlockStore, GroupStore } from '@chat/store';
import { fanoutRecords, recordDelivered } from './delivery-metrics';
import { startPushWorker } from './push-worker';
import { DeliverMessagesUseCase } from './usecases/deliver-messages/deliver-messages.usecase';

runConsumerService<FanoutEvent>('fanout', { redis: 'required' }, async ({ config, log, topology, models, redis }) => {
  const inbox = new OfflineInbox(redis, config.CHAT_NAMESPACE, undefined, config.OFFLINE_INBOX_MAX);
  const presence = new Presence(redis, config.CHAT_NAMESPACE, config.PRESENCE_TTL_MS);
  const push = config.PUSH_URL ? new PushWindows(redis, config.CHAT_NAMESPACE, config.PUSH_COLLAPSE_MS) : null;
  const deliver = new DeliverMessagesUseCase(
    presence,
    inbox,
    new EdgeChannel(redis, config.CHAT_NAMESPACE),
    new GroupStore(models),
    new BlockStore(models),
    Date.now,
    push,
  );
  const traces = new DeliveryTraces(redis, config.CHAT_NAMESPACE, config.TRACE_TTL_S * 1000);
  const outbound = new OutboundQueue(redis, config.CHAT_NAMESPACE, {
    attempts: config.OUTBOUND_ATTEMPTS,
    onRequeued: (deliveries) => log.warn({ deliveries }, 'Redis lost its data: the outgoing deliveries queued lately were queued again'),
  });
  const webhooks = new Webhooks(outbound, config.WEBHOOK_URLS);
  // every fanout copy also sends the outgoing deliveries (its blocking reads need a connection of their own)
  const senderRedis = redis.duplicate({ maxRetriesPerRequest: null, connectionName: `fanout-outbound-${config.INSTANCE_ID}` });
  senderRedis.on('error', () => undefined); // the main connection logs Redis errors
  const sender = new OutboundSender(senderRedis, config.CHAT_NAMESPACE, {
    secrets: { webhook: config.WEBHOOK_SECRET, push: config.PUSH_SECRET },
    timeoutMs: config.OUTBOUND_TIMEOUT_MS,
    onOutcome: (kind, outcome) => outboundDeliveries.inc({ kind, outcome }),
    onError: (err) => log.warn({ err: err.message }, 'outbound sender error'),
  });
  const pushWorker =
    push &&
    startPushWorker({ windows: push, url: config.PUSH_URL!, models, redis, presence, outbound, log, instanceId: config.INSTANCE_ID });
  return {
    consumer: {
      queues: topology.fanoutQueues,
      decode: decodeFanoutEvent,
      handle: async (batch) => {
        const events = batch.map((d) => d.payload);
        const report = await deliver.execute(events);
        recordDelivered(events, report);
        // queued before the ack: a batch redelivered after a crash here queues the same deliveries (same job ids)
        await webhooks.send(fanoutWebhookEvents(events));
        // the batch is delivered: a trace record that cannot be written now is a gap in a trace, never a redelivery
        await traces
          .recordFanout(fanoutRecords(report))
          .catch((err: Error) => log.warn({ err: err.message, messages: report.messages.length }, 'delivery trace not recorded'));
        log.debug({ live: report.live, parked: report.parked, correlationIds: events.map((e) => e.correlationId) }, 'delivered');
      },
    },
    stopping: async () => {
      await Promise.all([sender.close(), pushWorker?.close()]);
    },
    stopped: async () => {
      await Promise.all([inbox.close(), outbound.close(), push?.close()]);
      senderRedis.disconnect();
    },
  };
});
