import { Queue, Worker, type Job } from 'bullmq';
import { Redis } from 'ioredis';

/** A message parked for an offline receiver, which a push may announce. */
export interface PushItem {
  userId: string;
  roomId: string;
  messageId: string;
  senderId: string;
  seq: number;
}

/** What a window collected: its messages, oldest first. */
export interface PushWindow {
  userId: string;
  roomId: string;
  messages: Array<{ messageId: string; senderId: string; seq: number }>;
}

interface WindowJob {
  userId: string;
  roomId: string;
}

/** How long a window's messages are kept when nothing fires it (every worker down): a push that late is stale. */
const KEEP_MS = 60 * 60_000;
/**
 * The job fires this long after its window's key expires, so a message that still found the window open
 * was added before the job reads, even with some clock skew between the hosts adding and firing.
 */
const FIRE_MARGIN_MS = 200;

/**
 * Collapses the messages parked for a user in a room into one push per window. The first message parked
 * after a quiet spell opens the window (a key that expires after `windowMs`) and adds one delayed job; the
 * messages until the window closes join its set. The job reads the set when the window has closed and
 * removes what it read only once handled, so a retried job reads it again (at least once).
 */
export class PushWindows {
  private readonly queue: Queue<WindowJob>;

  constructor(
    private readonly redis: Redis,
    private readonly ns: string,
    private readonly windowMs: number,
  ) {
    this.queue = new Queue<WindowJob>('push', { connection: redis, prefix: `${ns}:bull` });
    this.queue.on('error', () => undefined); // connection errors surface on the awaited calls
  }

  private setKey(userId: string, roomId: string): string {
    return `${this.ns}:push:${userId}:${roomId}`;
  }

  /**
   * Adds the items to their windows, one transaction for the batch (each item's add and its window check
   * happen together, so an item either finds its window open or opens one), then one job per window opened.
   */
  async collect(items: PushItem[]): Promise<void> {
    if (items.length === 0) return;
    const tx = this.redis.multi();
    for (const item of items) {
      const key = this.setKey(item.userId, item.roomId);
      tx.zadd(key, item.seq, `${item.messageId}|${item.senderId}`)
        .pexpire(key, KEEP_MS + this.windowMs)
        .set(`${key}:open`, item.messageId, 'PX', this.windowMs, 'NX');
    }
    const results = await tx.exec();
    if (!results) throw new Error('push windows: the transaction was discarded');
    const opened = new Map<string, PushItem>();
    items.forEach((item, i) => {
      // three commands per item; the third (SET NX) answers OK to the item that opened the window
      const [err, reply] = results[i * 3 + 2];
      if (err) throw err;
      if (reply === 'OK') opened.set(`${item.userId}|${item.roomId}`, item);
    });
    if (opened.size === 0) return;
    await this.queue.addBulk(
      [...opened.values()].map((item) => ({
        name: 'window',
        data: { userId: item.userId, roomId: item.roomId },
        opts: {
          // the opening message names the window: a redelivered batch re-adding it is the same job
          jobId: `${item.userId}-${item.roomId}-${item.messageId}`,
          delay: this.windowMs + FIRE_MARGIN_MS,
          attempts: 5,
          backoff: { type: 'exponential', delay: 1000 },
          removeOnComplete: true,
          removeOnFail: 1000,
        },
      })),
    );
  }

  /** The window's messages now, oldest first. */
  async read(userId: string, roomId: string): Promise<PushWindow> {
    const raw = await this.redis.zrange(this.setKey(userId, roomId), 0, -1, 'WITHSCORES');
    const messages: PushWindow['messages'] = [];
    for (let i = 0; i + 1 < raw.length; i += 2) {
      const [messageId, senderId] = raw[i].split('|');
      messages.push({ messageId, senderId, seq: Number(raw[i + 1]) });
    }
    return { userId, roomId, messages };
  }

  /** Removes the messages a job handled (those added since stay for the next window). */
  async clear(w: PushWindow): Promise<void> {
    if (w.messages.length === 0) return;
    await this.redis.zrem(this.setKey(w.userId, w.roomId), ...w.messages.map((m) => `${m.messageId}|${m.senderId}`));
  }

  /**
   * Fires the windows as they close: `fire` gets each window's messages, and they are removed once it
   * resolves (a throw retries the job). The worker gets its own connection (BullMQ blocks on it).
   */
  startWorker(redisUrl: string, fire: (w: PushWindow) => Promise<void>, onError: (err: Error) => void): { close(): Promise<void> } {
    const connection = new Redis(redisUrl, { maxRetriesPerRequest: null, connectionName: `${this.ns}-push-worker` });
    connection.on('error', () => undefined);
    const worker = new Worker<WindowJob>(
      'push',
      async (job: Job<WindowJob>) => {
        const w = await this.read(job.data.userId, job.data.roomId);
        if (w.messages.length === 0) return;
        await fire(w);
        await this.clear(w);
      },
      { connection, prefix: `${this.ns}:bull`, concurrency: 8 },
    );
    worker.on('error', onError);
    worker.on('failed', (_job, err) => onError(err));
    return {
      close: async () => {
        await worker.close();
        connection.disconnect();
      },
    };
  }

  async close(): Promise<void> {
    await this.queue.close();
  }
}
