import amqp, { type AmqpConnectionManager } from 'amqp-connection-manager';
import type { ConfirmChannel } from 'amqplib';
import type { Logger } from '@chat/logging';
import { queueArguments, type Topology } from './topology';

export type BrokerConnection = AmqpConnectionManager;

/** Opens a self-healing connection; callers await `waitForConnect` on their channels. */
export function connectBroker(url: string, log: Logger, name: string): BrokerConnection {
  const conn = amqp.connect([url], {
    heartbeatIntervalInSeconds: 5,
    reconnectTimeInSeconds: 1,
    connectionOptions: { clientProperties: { connection_name: name } },
  });
  conn.on('connect', () => log.info({ broker: 'rabbitmq' }, 'broker connected'));
  conn.on('disconnect', ({ err }) => log.warn({ err: err?.message }, 'broker disconnected; reconnecting'));
  conn.on('connectFailed', ({ err }) => log.warn({ err: err?.message }, 'broker connect failed; retrying'));
  // A channel whose setup fails (the broker closed the connection mid-setup) emits 'error'; unheard, that
  // would end the process. The manager sets the channel up again on its next connect.
  const createChannel = conn.createChannel.bind(conn);
  conn.createChannel = (opts) => {
    const channel = createChannel(opts);
    channel.on('error', (err: Error, info?: { name?: string }) =>
      log.warn({ err: err.message, channel: info?.name ?? opts?.name }, 'channel setup failed; it is set up again on the next connect'),
    );
    return channel;
  };
  return conn;
}

/** Declares exchanges, queues, bindings and dead-lettering; safe to run on every reconnect. */
export async function assertTopology(ch: ConfirmChannel, t: Topology): Promise<void> {
  await ch.assertExchange(t.exchange, 'direct', { durable: true });
  await ch.assertExchange(t.deadLetterExchange, 'topic', { durable: true });
  await ch.assertQueue(t.deadLetterQueue, { durable: true, arguments: { 'x-queue-type': 'quorum' } });
  await ch.bindQueue(t.deadLetterQueue, t.deadLetterExchange, '#');
  for (const q of t.queues) {
    await ch.assertQueue(q.name, { durable: true, arguments: queueArguments(t, q) });
    for (const b of q.bindings) await ch.bindQueue(q.name, b.exchange, b.routingKey);
  }
}

/** Readiness: the connection to RabbitMQ is up now (amqp-connection-manager reconnects by itself). */
export async function brokerUp(conn: BrokerConnection): Promise<void> {
  if (!conn.isConnected()) throw new Error('not connected');
}
