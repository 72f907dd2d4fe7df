import amqp from 'amqplib';
import { Redis } from 'ioredis';
import mongoose from 'mongoose';
import { buildTopology } from '@chat/broker';

/** Deletes every Redis key matching `pattern` (SCAN, so the server is not blocked). */
export async function deleteKeys(redis: Redis, pattern: string): Promise<void> {
  let cursor = '0';
  do {
    const [next, keys] = await redis.scan(cursor, 'MATCH', pattern, 'COUNT', 1000);
    cursor = next;
    if (keys.length) await redis.del(...keys);
  } while (cursor !== '0');
}

/** Removes everything a namespace created: its queues, its Redis keys and its database. */
export async function removeNamespace(o: {
  namespace: string;
  mongoUrl: string;
  redisUrl: string;
  rabbitUrl: string;
  partitions?: number;
}): Promise<void> {
  const t = buildTopology(o.namespace, o.partitions);
  const conn = await amqp.connect(o.rabbitUrl);
  try {
    for (const q of [...t.queues.map((q) => q.name), t.deadLetterQueue]) {
      const ch = await conn.createChannel();
      ch.on('error', () => undefined);
      await ch.deleteQueue(q).catch(() => undefined);
      await ch.close().catch(() => undefined);
    }
    const ch = await conn.createChannel();
    ch.on('error', () => undefined);
    await ch.deleteExchange(t.exchange).catch(() => undefined);
    await ch.deleteExchange(t.deadLetterExchange).catch(() => undefined);
    await ch.close().catch(() => undefined);
  } finally {
    await conn.close().catch(() => undefined);
  }
  const redis = new Redis(o.redisUrl);
  try {
    for (const pattern of [`${o.namespace}:*`, `${o.namespace}-socket.io*`]) await deleteKeys(redis, pattern);
  } finally {
    redis.disconnect();
  }
  const db = await mongoose.createConnection(o.mongoUrl, { serverSelectionTimeoutMS: 5000 }).asPromise();
  try {
    await db.dropDatabase();
  } finally {
    await db.close();
  }
}
