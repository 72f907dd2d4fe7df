import { decodeReceiptCommand, type ReceiptCommand } from '@chat/contracts';
import { DeliveryTraces, EdgeChannel, LiveNotifier, OutboundQueue, Presence, readWebhookEvents, Webhooks } from '@chat/delivery';
import { runConsumerService } from '@chat/lifecycle';
import { timedCalls } from '@chat/ops';
import { CursorStore, GroupStore, MessageStore } from '@chat/store';
import { recordReceiptStages } from './receipt-stages';
import { ApplyReceiptsUseCase } from './usecases/apply-receipts/apply-receipts.usecase';

runConsumerService<ReceiptCommand>('receipts', { redis: 'required' }, async ({ config, log, topology, models, redis }) => {
  // this worker is the only writer of its partitions' cursors (single active consumer): it may remember them
  const cursors = new CursorStore(models, { writerCacheSize: 100_000 });
  const groups = new GroupStore(models);
  const messages = new MessageStore(models);
  // receipts go to the edges holding their users' sockets; a user with none gets nothing live (the
  // cursors in the store are what a reconnect reads)
  const notify = new LiveNotifier(
    new Presence(redis, config.CHAT_NAMESPACE, config.PRESENCE_TTL_MS),
    new EdgeChannel(redis, config.CHAT_NAMESPACE),
  );
  const apply = new ApplyReceiptsUseCase(timedCalls(cursors, { advance: 'cursor.advance' }), notify, {
    membersOf: (ids) => groups.membersOf(ids),
    forRoom: (roomId) => cursors.forRoom(roomId),
    sendersBetween: (roomId, after, upto, limit) => messages.sendersBetween(roomId, after, upto, limit),
  });
  const traces = new DeliveryTraces(redis, config.CHAT_NAMESPACE, config.TRACE_TTL_S * 1000);
  const outbound = new OutboundQueue(redis, config.CHAT_NAMESPACE, { attempts: config.OUTBOUND_ATTEMPTS });
  const webhooks = new Webhooks(outbound, config.WEBHOOK_URLS);
  return {
    consumer: {
      queues: topology.receiptQueues,
      decode: decodeReceiptCommand,
      // the store or Redis down holds the batch (runConsumerService); cursors only move forward, so a retry is harmless
      handle: async (batch) => {
        const moves = await apply.execute(batch.map((d) => d.payload));
        // after the cursor writes: a crash between the two loses these message.read events (a retry sees no move)
        await webhooks.send(readWebhookEvents(moves));
        // the cursors are written: stage times that cannot be read or noted now are a gap in the metrics only
        await recordReceiptStages(traces, moves).catch((err: Error) => log.warn({ err: err.message }, 'receipt stage times not recorded'));
        log.debug(
          {
            receipts: batch.length,
            moved: moves.filter((m) => m.to > m.from).length,
            correlationIds: batch.map((d) => d.payload.correlationId),
          },
          'receipts applied',
        );
      },
    },
    stopped: () => outbound.close(),
  };
});
