/**
 * The outgoing delivery queue against the real Redis: dead letters are capped (Redis runs noeviction, so a
 * receiver gone for good must not fill it), keeping the newest; a receiver's redirect is not followed.
 */
import { randomBytes } from 'node:crypto';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Redis } from 'ioredis';
import { OutboundQueue, OutboundSender } from '@chat/delivery';
import { HookReceiver } from './support/hook-receiver';
import { eventually } from './support/harness';

const SECRET = 'outbound-queue-test-secret';

describe('OutboundQueue (real Redis)', () => {
  const ns = `oq${randomBytes(4).toString('hex')}`;
  const redis = new Redis(process.env.TEST_REDIS_URL!);
  const senderRedis = new Redis(process.env.TEST_REDIS_URL!, { maxRetriesPerRequest: null });
  const receiver = new HookReceiver();
  let queue: OutboundQueue;
  let sender: OutboundSender;

  beforeAll(async () => {
    await receiver.start();
    receiver.status = 500;
    queue = new OutboundQueue(redis, ns, { attempts: 1, deadLetterMax: 2, rememberMs: 0 });
    sender = new OutboundSender(senderRedis, ns, { secrets: { webhook: SECRET }, timeoutMs: 2000 });
  });
  afterAll(async () => {
    await sender.close();
    await queue.close();
    await receiver.stop();
    const keys = await redis.keys(`${ns}:*`);
    if (keys.length) await redis.del(...keys);
    redis.disconnect();
    senderRedis.disconnect();
  });

  it('keeps the newest dead letters up to the cap and drops older ones', async () => {
    for (const id of ['d1', 'd2', 'd3']) {
      await queue.add([{ kind: 'webhook', url: receiver.url, deliveryId: id, body: { events: [] } }]);
      // one at a time, so "newest" is the order they failed in
      await eventually(async () => receiver.requests.some((r) => r.headers['x-chat-webhook-id'] === id), `${id} tried`);
      await eventually(async () => (await queue.deadLetters(0, 10)).some((d) => d.deliveryId === id), `${id} a dead letter`);
    }
    const dead = await queue.deadLetters(0, 10);
    expect(dead.map((d) => d.deliveryId).sort()).toEqual(['d2', 'd3']);
    expect((await queue.counts()).failed).toBe(2);
  });

  it('does not follow a redirect: the signed body goes only to the configured receiver, and the attempt fails', async () => {
    const elsewhere = await new HookReceiver().start();
    const redirecting = createServer((req, res) => {
      req.resume();
      res.writeHead(307, { location: elsewhere.url }).end();
    });
    await new Promise<void>((r) => redirecting.listen(0, '127.0.0.1', r));
    const url = `http://127.0.0.1:${(redirecting.address() as AddressInfo).port}/hook`;
    try {
      await queue.add([{ kind: 'webhook', url, deliveryId: 'r1', body: { events: [] } }]);
      await eventually(async () => (await queue.deadLetters(0, 10)).some((d) => d.deliveryId === 'r1'), 'r1 a dead letter');
      expect((await queue.deadLetters(0, 10)).find((d) => d.deliveryId === 'r1')?.failedReason).toMatch(/307/);
      expect(elsewhere.requests).toEqual([]);
    } finally {
      redirecting.close();
      await elsewhere.stop();
    }
  });
});
