import type { OutboundQueue, Presence, PushWindows } from '@chat/delivery';
import type { WorkerContext } from '@chat/lifecycle';
import { pushWindows } from '@chat/ops';
import { MessageStore, RoomSettingsStore, UserSettingsStore, type Models } from '@chat/store';
import { SendPushUseCase } from './usecases/send-push/send-push.usecase';

/**
 * Every fanout copy also fires the push windows as they close, each into one signed delivery on the
 * outbound queue (sent and retried by the outbound sender).
 */
export function startPushWorker(o: {
  windows: PushWindows;
  url: string;
  models: Models;
  redis: WorkerContext['redis'];
  presence: Presence;
  outbound: OutboundQueue;
  log: WorkerContext['log'];
  instanceId: string;
}): { close(): Promise<void> } {
  const messages = new MessageStore(o.models);
  const sendPush = new SendPushUseCase(
    {
      presence: o.presence,
      mutes: new RoomSettingsStore(o.models),
      settings: new UserSettingsStore(o.models),
      contentOf: async (id) => {
        const [m] = await messages.findByIds([id]);
        return m && !m.deletedAt ? m.content : null;
      },
      outbound: o.outbound,
    },
    o.url,
  );
  // BullMQ blocks on the worker's connection: one of its own
  const connection = o.redis.duplicate({ maxRetriesPerRequest: null, connectionName: `fanout-push-${o.instanceId}` });
  connection.on('error', () => undefined); // the main connection logs Redis errors
  const worker = o.windows.startWorker(
    connection,
    async (w) => void pushWindows.inc({ outcome: await sendPush.fire(w) }),
    (err) => o.log.warn({ err: err.message }, 'push window error'),
  );
  return {
    close: async () => {
      await worker.close();
      connection.disconnect();
    },
  };
}
