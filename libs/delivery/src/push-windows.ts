import { Queue, Worker, type Job } from 'bullmq';
import type { Redis } from 'ioredis';

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

/** KEYS[1] the window's set, KEYS[2] the job's: the set becomes the job's unless the job took one already. */
const CLAIM = `
if redis.call('EXISTS', KEYS[2]) == 0 and redis.call('EXISTS', KEYS[1]) == 1 then redis.call('RENAME', KEYS[1], KEYS[2]) end
return redis.call('ZRANGE', KEYS[2], 0, -1, 'WITHSCORES')`;

/**
 * Collapses the messages parked for a user in a room into one push per window. The first message parked
 * after a quiet spell opens the window (a key that expires after `windowMs`) and adds one delayed job; the
 * messages until the window closes join its set. When the window has closed the job takes the set
 * (claim) and drops it only once handled, so a retried job sends the same push again (at least once).
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
        .set(`${key}:open`, item.messageId, 'PX', this.windowMs, 'NX', 'GET');
    }
    const results = await tx.exec();
    if (!results) throw new Error('push windows: the transaction was discarded');
    // every window the batch touched gets its job added, not only the ones it opened: a batch redelivered
    // after its job could not be added (a Redis error, a kill in between) finds the window open and adds it
    // then; adding a job that exists changes nothing
    const touched = new Map<string, { item: PushItem; opener: string }>();
    items.forEach((item, i) => {
      // three commands per item; the third (SET NX GET) answers nil to the item that opened the window and
      // the opener's id to the others
      const [err, reply] = results[i * 3 + 2];
      if (err) throw err;
      const window = `${item.userId}|${item.roomId}`;
      if (!touched.has(window)) touched.set(window, { item, opener: typeof reply === 'string' ? reply : item.messageId });
    });
    await this.queue.addBulk(
      [...touched.values()].map(({ item, opener }) => ({
        name: 'window',
        data: { userId: item.userId, roomId: item.roomId },
        opts: {
          // the opening message names the window's job
          jobId: `${item.userId}-${item.roomId}-${opener}`,
          delay: this.windowMs + FIRE_MARGIN_MS,
          // waits doubling from 1 s: a store or Redis outage of up to about 8 minutes still ends in the push
          attempts: 10,
          backoff: { type: 'exponential', delay: 1000 },
          removeOnComplete: true,
          removeOnFail: 1000,
        },
      })),
    );
  }

  /**
   * Takes the window's messages for the job: moves them to a key of the job's own in one step, so a window
   * firing at the same time (windows shorter than a fire) cannot take them too, and a retried job finds
   * what it took. Messages parked after this belong to a later window.
   */
  async claim(userId: string, roomId: string, jobId: string): Promise<PushWindow> {
    const set = this.setKey(userId, roomId);
    const raw = (await this.redis.eval(CLAIM, 2, set, `${set}:job:${jobId}`)) as string[];
    const messages: PushWindow['messages'] = [];
    for (let i = 0; i + 1 < raw.length; i += 2) {
      const [messageId, senderId] = raw[i].split('|');
      messages.push({ messageId, senderId, seq: Number(raw[i + 1]) });
    }
    return { userId, roomId, messages };
  }

  /**
   * Fires the windows as they close: `fire` gets each window's messages, which are dropped once it resolves
   * (a throw retries the job with the same messages). `connection` is used for blocking reads: give it a
   * connection of its own (maxRetriesPerRequest: null).
   */
  startWorker(connection: Redis, fire: (w: PushWindow) => Promise<void>, onError: (err: Error) => void): { close(): Promise<void> } {
    const worker = new Worker<WindowJob>(
      'push',
      async (job: Job<WindowJob>) => {
        const { userId, roomId } = job.data;
        const w = await this.claim(userId, roomId, String(job.id));
        if (w.messages.length > 0) await fire(w);
        await this.redis.del(`${this.setKey(userId, roomId)}:job:${String(job.id)}`);
      },
      { connection, prefix: `${this.ns}:bull`, concurrency: 8 },
    );
    worker.on('error', onError);
    worker.on('failed', (_job, err) => onError(err));
    return { close: () => worker.close() };
  }

  async close(): Promise<void> {
    await this.queue.close();
  }
}
