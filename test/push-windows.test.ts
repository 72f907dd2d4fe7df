/**
 * Push windows against the real Redis and BullMQ: a window whose job was never added (the process died or
 * Redis failed between collecting the messages and adding the job) gets its job when the batch comes again.
 */
import { randomBytes } from 'node:crypto';
import { Queue } from 'bullmq';
import { Redis } from 'ioredis';
import { PushWindows } from '@chat/delivery';

const hex = () => randomBytes(12).toString('hex');

describe('PushWindows (real Redis)', () => {
  const ns = `pw${randomBytes(4).toString('hex')}`;
  const redis = new Redis(process.env.TEST_REDIS_URL!);
  const windows = new PushWindows(redis, ns, 60_000);
  const queue = new Queue('push', { connection: redis, prefix: `${ns}:bull` });

  afterAll(async () => {
    await windows.close();
    await queue.close();
    const keys = await redis.keys(`${ns}:*`);
    if (keys.length) await redis.del(...keys);
    redis.disconnect();
  });

  it('adds the job of an open window again when a redelivered batch finds it missing, under the opener’s id', async () => {
    const [userId, roomId, senderId] = [hex(), hex(), hex()];
    const first = { userId, roomId, messageId: hex(), senderId, seq: 1 };
    const second = { userId, roomId, messageId: hex(), senderId, seq: 2 };
    const jobId = `${userId}-${roomId}-${first.messageId}`;
    await windows.collect([first]);
    expect(await queue.getJob(jobId)).toBeTruthy();

    // as if the job had never been added after the messages were collected
    await (await queue.getJob(jobId))!.remove();
    expect(await queue.getJob(jobId)).toBeUndefined();

    // the batch comes again, with a message that joined the window meanwhile
    await windows.collect([first, second]);
    const job = await queue.getJob(jobId);
    expect(job?.data).toEqual({ userId, roomId });
    expect(await queue.getDelayedCount()).toBe(1);
    expect((await windows.claim(userId, roomId, jobId)).messages.map((m) => m.messageId)).toEqual([first.messageId, second.messageId]);
  });
});
