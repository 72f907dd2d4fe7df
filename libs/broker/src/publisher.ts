import type { ChannelWrapper } from 'amqp-connection-manager';
import type { ConfirmChannel } from 'amqplib';
import { Unavailable } from '@chat/contracts';
import { published, publishWaited } from '@chat/ops';
import { assertTopology } from './connection';
import type { BrokerConnection } from './connection';
import type { Topology } from './topology';

/** When the message was published, in ms (the AMQP timestamp counts seconds): consumers measure their lag by it. */
export const PUBLISHED_AT_HEADER = 'x-published-at';

/**
 * Publishes persistent JSON messages and resolves only once the broker confirmed them.
 * Many publishes may be in flight at once; each caller awaits its own confirm.
 */
export class Publisher {
  private readonly channel: ChannelWrapper;

  constructor(
    private readonly conn: BrokerConnection,
    private readonly topology: Topology,
    private readonly timeoutMs: number,
  ) {
    this.channel = conn.createChannel({
      name: 'publisher',
      confirm: true,
      setup: (ch: ConfirmChannel) => assertTopology(ch, topology),
    });
  }

  /** The routing key of a command or event of the room (or group) `id` (Topology.route). */
  route(base: string, id: string): string {
    return this.topology.route(base, id);
  }

  waitForConnect(): Promise<void> {
    return this.channel.waitForConnect();
  }

  async publishConfirmed(routingKey: string, payload: object, headers: Record<string, string> = {}): Promise<void> {
    // made while the broker is away: the channel holds it until the reconnect (or the timeout refuses it)
    if (!this.conn.isConnected()) publishWaited.inc({ stage: stageOf(routingKey) });
    try {
      await this.channel.publish(this.topology.exchange, routingKey, Buffer.from(JSON.stringify(payload)), {
        persistent: true,
        contentType: 'application/json',
        headers: { ...headers, [PUBLISHED_AT_HEADER]: Date.now() },
        timestamp: Math.floor(Date.now() / 1000),
        timeout: this.timeoutMs,
        mandatory: false,
      });
      published.inc({ stage: stageOf(routingKey), outcome: 'confirmed' });
    } catch (err) {
      published.inc({ stage: stageOf(routingKey), outcome: 'failed' });
      throw new Unavailable(`message broker did not confirm: ${(err as Error).message}`);
    }
  }

  close(): Promise<void> {
    return this.channel.close();
  }
}

/** The routing key without its partition suffix: one metric series per stage, not per partition. */
function stageOf(routingKey: string): string {
  return routingKey.replace(/\.p\d+$/, '');
}
