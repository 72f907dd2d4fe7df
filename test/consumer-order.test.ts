import { randomBytes } from 'node:crypto';
import amqp from 'amqplib';
import {
  assertTopology,
  BatchConsumer,
  buildTopology,
  connectBroker,
  partitionKey,
  TransientError,
  type BrokerConnection,
} from '@chat/broker';
import { RoutingKeys } from '@chat/contracts';
import { createLogger } from '@chat/logging';
import { TcpProxy } from './support/tcp-proxy';

/**
 * The consumer keeps a queue's order when its connection to RabbitMQ drops in the middle of a batch.
 * A CI run of the fault suite lost 15 messages this way: the batch in hand failed when RabbitMQ stopped,
 * the worker went on with the deliveries buffered behind it (their channel already dead), stored and
 * announced them, and the failed batch, handed out again after the restart, came second: its messages
 * carried lower seqs than what receivers had already been given, and their gates dropped them.
 */
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe("BatchConsumer keeps a queue's order", () => {
  const url = new URL(process.env.TEST_RABBITMQ_URL ?? 'amqp://guest:guest@127.0.0.1:5672');
  const proxy = new TcpProxy(url.hostname, Number(url.port || 5672));
  const ns = `t${randomBytes(4).toString('hex')}`;
  const topology = buildTopology(ns);
  const queue = topology.persistQueues[0];
  const log = createLogger('consumer-order-test', { level: 'warn', instance: 'test' });
  let conn: BrokerConnection;
  let consumer: BatchConsumer<{ n: number }>;
  const others: Array<{ consumer: BatchConsumer<{ n: number }>; conn: BrokerConnection }> = [];

  beforeAll(() => proxy.start());
  afterAll(async () => {
    await consumer?.close().catch(() => undefined);
    await conn?.close().catch(() => undefined);
    for (const o of others) {
      await o.consumer.close().catch(() => undefined);
      await o.conn.close().catch(() => undefined);
    }
    await proxy.stop();
    const admin = await amqp.connect(url.toString());
    const ch = await admin.createChannel();
    for (const q of [...topology.queues.map((x) => x.name), topology.deadLetterQueue]) await ch.deleteQueue(q).catch(() => undefined);
    await ch.deleteExchange(topology.exchange).catch(() => undefined);
    await ch.deleteExchange(topology.deadLetterExchange).catch(() => undefined);
    await admin.close();
  });

  /** 30 messages waiting in one partition queue before the consumer starts, so most sit in its buffer. */
  const publishThirty = async (partition: number) => {
    const pub = await amqp.connect(url.toString());
    const pch = await pub.createConfirmChannel();
    await assertTopology(pch, topology);
    for (let n = 1; n <= 30; n++)
      pch.publish(topology.exchange, partitionKey(RoutingKeys.messageSend, partition), Buffer.from(JSON.stringify({ n })), {
        persistent: true,
      });
    await pch.waitForConfirms();
    await pub.close();
  };

  it('does not handle what was buffered behind a failed batch before the broker hands that batch out again', async () => {
    const proxied = new URL(url.toString());
    proxied.hostname = '127.0.0.1';
    proxied.port = String(proxy.port);
    conn = connectBroker(proxied.toString(), log, 'consumer-order-test');

    await publishThirty(0);

    const handled: number[] = []; // what took effect, in the order it did
    let first = true;
    consumer = new BatchConsumer<{ n: number }>(
      conn,
      topology,
      {
        queues: [queue],
        prefetch: 50,
        batchMax: 5,
        decode: (raw) => raw as { n: number },
        handle: async (batch) => {
          if (first) {
            // the connection drops while the first batch is in hand, as when RabbitMQ stops
            first = false;
            proxy.cut();
            await sleep(300);
            proxy.restore();
            throw new TransientError('message broker did not confirm: channel closed');
          }
          for (const d of batch) handled.push(d.payload.n);
        },
      },
      log,
    );
    await consumer.waitForConnect();

    const deadline = Date.now() + 30_000;
    while (new Set(handled).size < 30 && Date.now() < deadline) await sleep(100);
    const firstSeen = handled.filter((n, i) => handled.indexOf(n) === i);
    expect(firstSeen).toEqual(Array.from({ length: 30 }, (_, i) => i + 1));
  }, 60_000);
  /** 30 messages in a partition queue of their own, then a consumer with the given handler; returns what took effect, in order. */
  const consumeThirty = async (partition: number, handle: (n: number) => void, waitFor: (handled: number[]) => boolean) => {
    await publishThirty(partition);
    const handled: number[] = [];
    const c = connectBroker(url.toString(), log, `consumer-order-test-${partition}`);
    const bc = new BatchConsumer<{ n: number }>(
      c,
      topology,
      {
        queues: [topology.persistQueues[partition]],
        prefetch: 50,
        batchMax: 5,
        decode: (raw) => raw as { n: number },
        handle: async (batch) => {
          for (const d of batch) handle(d.payload.n);
          for (const d of batch) handled.push(d.payload.n);
        },
      },
      log,
    );
    others.push({ consumer: bc, conn: c });
    await bc.waitForConnect();
    const deadline = Date.now() + 30_000;
    while (!waitFor(handled) && Date.now() < deadline) await sleep(100);
    return handled;
  };
  const firstSeen = (handled: number[]) => handled.filter((n, i) => handled.indexOf(n) === i);

  it('keeps the order when a delivery fails with an unexpected error and then succeeds', async () => {
    // an error the worker does not know as transient (say, a driver error it has not seen before), twice
    let failures = 0;
    const handled = await consumeThirty(
      1,
      (n) => {
        if (n === 5 && failures < 2) {
          failures++;
          throw new Error('unexpected');
        }
      },
      (h) => new Set(h).size >= 30,
    );
    expect(failures).toBe(2);
    expect(firstSeen(handled)).toEqual(Array.from({ length: 30 }, (_, i) => i + 1));
  }, 60_000);

  it('dead-letters a delivery that keeps failing and handles the ones behind it, in order', async () => {
    const admin = await amqp.connect(url.toString());
    const ch = await admin.createChannel();
    const before = (await ch.checkQueue(topology.deadLetterQueue)).messageCount;
    const handled = await consumeThirty(
      2,
      (n) => {
        if (n === 7) throw new Error('poison');
      },
      (h) => h.includes(30),
    );
    expect(firstSeen(handled)).toEqual(Array.from({ length: 30 }, (_, i) => i + 1).filter((n) => n !== 7));
    const deadline = Date.now() + 10_000;
    while ((await ch.checkQueue(topology.deadLetterQueue)).messageCount < before + 1 && Date.now() < deadline) await sleep(100);
    expect((await ch.checkQueue(topology.deadLetterQueue)).messageCount).toBe(before + 1);
    await admin.close();
  }, 60_000);
});
