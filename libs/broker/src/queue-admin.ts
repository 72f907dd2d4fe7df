import type { ChannelWrapper } from 'amqp-connection-manager';
import type { ConfirmChannel, GetMessage } from 'amqplib';
import { deadLetters, onScrape, queueConsumers, queueDepth } from '@chat/ops';
import { assertTopology, type BrokerConnection } from './connection';
import type { Topology } from './topology';

export interface QueueStat {
  queue: string;
  stage: 'persistence' | 'fanout' | 'receipts' | 'dead-letter';
  messages: number;
  consumers: number;
}

export interface DeadLetter {
  /** Position in the dead-letter queue when listed (0 = oldest). */
  index: number;
  /** The queue it died in and the routing key it was first published with (where a replay sends it). */
  queue: string;
  routingKey: string;
  reason: string;
  deaths: number;
  correlationId?: string;
  type?: string;
  publishedAt?: string;
  body: string;
}

interface XDeath {
  queue?: string;
  reason?: string;
  count?: number;
  exchange?: string;
  'routing-keys'?: string[];
}

function stageOf(t: Topology, q: string): QueueStat['stage'] {
  if (q === t.deadLetterQueue) return 'dead-letter';
  if (t.persistQueues.includes(q)) return 'persistence';
  if (t.fanoutQueues.includes(q)) return 'fanout';
  return 'receipts';
}

function describe(m: GetMessage, index: number): DeadLetter {
  const headers = (m.properties.headers ?? {}) as Record<string, unknown>;
  const deaths = (headers['x-death'] as XDeath[] | undefined) ?? [];
  const first = deaths[deaths.length - 1] ?? {};
  const body = m.content.toString('utf8');
  let type: string | undefined;
  try {
    const parsed = JSON.parse(body) as { type?: unknown };
    if (typeof parsed.type === 'string') type = parsed.type;
  } catch {
    // an undecodable body is exactly the kind of thing that ends up here; show it as it is
  }
  return {
    index,
    queue: first.queue ?? m.fields.routingKey,
    routingKey: first['routing-keys']?.[0] ?? '',
    reason: first.reason ?? 'unknown',
    deaths: deaths.reduce((n, d) => n + (Number(d.count) || 0), 0),
    correlationId: typeof headers.correlationId === 'string' ? headers.correlationId : (m.properties.correlationId as string | undefined),
    type,
    publishedAt: m.properties.timestamp ? new Date(Number(m.properties.timestamp) * 1000).toISOString() : undefined,
    body: body.length > 4096 ? `${body.slice(0, 4096)}…` : body,
  };
}

/**
 * What an operator needs from RabbitMQ without the management plugin: queue depths and consumers, the
 * dead letters (peeked, not consumed), and replay. Replay republishes a dead letter to its original
 * routing key with a publisher confirm and only then acks it out of the dead-letter queue, so a crash in
 * between leaves a copy in both places, never in neither; the workers' idempotent writes absorb the copy.
 */
export class QueueAdmin {
  private readonly channel: ChannelWrapper;
  private queue: Promise<unknown> = Promise.resolve();

  constructor(
    conn: BrokerConnection,
    private readonly topology: Topology,
  ) {
    this.channel = conn.createChannel({ name: 'queue-admin', confirm: true, setup: (ch: ConfirmChannel) => assertTopology(ch, topology) });
  }

  waitForConnect(): Promise<void> {
    return this.channel.waitForConnect();
  }

  async stats(queues: string[] = [...this.topology.queues.map((q) => q.name), this.topology.deadLetterQueue]): Promise<QueueStat[]> {
    return Promise.all(
      queues.map(async (queue) => {
        const r = await this.channel.checkQueue(queue);
        return { queue, stage: stageOf(this.topology, queue), messages: r.messageCount, consumers: r.consumerCount };
      }),
    );
  }

  /**
   * Lists up to `limit` dead letters, oldest first, without removing them: each is taken unacked and all
   * are returned to the queue together at the end (a quorum queue puts them back at the head).
   */
  async listDeadLetters(limit = 50): Promise<DeadLetter[]> {
    return this.exclusive(async (ch) => {
      const taken: GetMessage[] = [];
      try {
        for (let i = 0; i < limit; i++) {
          const m = await ch.get(this.topology.deadLetterQueue, { noAck: false });
          if (!m) break;
          taken.push(m);
        }
        return taken.map(describe);
      } finally {
        if (taken.length > 0) ch.nackAll(true);
      }
    });
  }

  /** Replays up to `limit` dead letters, oldest first; returns how many went back and where. */
  async replayDeadLetters(limit = 100): Promise<{ replayed: number; skipped: number; routingKeys: Record<string, number> }> {
    return this.exclusive(async (ch) => {
      let replayed = 0;
      let skipped = 0;
      const routingKeys: Record<string, number> = {};
      const keep: GetMessage[] = [];
      try {
        for (let i = 0; i < limit; i++) {
          const m = await ch.get(this.topology.deadLetterQueue, { noAck: false });
          if (!m) break;
          const d = describe(m, i);
          if (!d.routingKey) {
            keep.push(m);
            skipped++;
            continue;
          }
          const headers = { ...(m.properties.headers ?? {}) } as Record<string, unknown>;
          delete headers['x-death'];
          delete headers['x-first-death-exchange'];
          delete headers['x-first-death-queue'];
          delete headers['x-first-death-reason'];
          delete headers['x-last-death-exchange'];
          delete headers['x-last-death-queue'];
          delete headers['x-last-death-reason'];
          delete headers['x-delivery-count'];
          headers['x-replayed'] = Number(headers['x-replayed'] ?? 0) + 1;
          const p = m.properties;
          await ch.publish(this.topology.exchange, d.routingKey, m.content, {
            headers,
            persistent: true,
            contentType: p.contentType as string | undefined,
            correlationId: p.correlationId as string | undefined,
            messageId: p.messageId as string | undefined,
            timestamp: p.timestamp as number | undefined,
          });
          ch.ack(m);
          replayed++;
          routingKeys[d.routingKey] = (routingKeys[d.routingKey] ?? 0) + 1;
        }
      } finally {
        for (const m of keep) ch.nack(m, false, true);
      }
      return { replayed, skipped, routingKeys };
    });
  }

  /** Admin operations share one channel and settle by delivery tag; one at a time keeps them from mixing. */
  private exclusive<R>(op: (ch: ChannelWrapper) => Promise<R>): Promise<R> {
    const run = this.queue.then(() => op(this.channel));
    this.queue = run.catch(() => undefined);
    return run;
  }

  close(): Promise<void> {
    return this.channel.close();
  }
}

/** Exports the depth and consumers of `queues` (and the dead-letter count) as metrics, read at each scrape. */
export function exportQueueDepths(admin: QueueAdmin, topology: Topology, queues: string[]): void {
  onScrape(async () => {
    for (const s of await admin.stats([...queues, topology.deadLetterQueue])) {
      if (s.stage === 'dead-letter') deadLetters.set(s.messages);
      else {
        queueDepth.set({ queue: s.queue }, s.messages);
        queueConsumers.set({ queue: s.queue }, s.consumers);
      }
    }
  });
}
