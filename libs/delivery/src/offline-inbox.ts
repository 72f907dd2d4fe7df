import { Queue } from 'bullmq';
import type { Redis } from 'ioredis';
import type { DeliveryEnvelope, MessageView } from '@chat/contracts';

const MESSAGE_JOB_ID = /^[0-9a-f]{24}$/;

/**
 * Messages parked for users who were offline, one BullMQ queue per user (no worker consumes them: the
 * edge drains a user's queue when the user connects). The job id is the message id, so parking the same
 * message twice keeps one job. MongoDB stays the source of truth; this is the fast path on reconnect.
 */
export class OfflineInbox {
  private readonly queues = new Map<string, Queue>();

  constructor(
    private readonly redis: Redis,
    private readonly ns: string,
    /**
     * Queue handles kept between calls (least recently used closed first). Each holds listeners on the
     * shared connection and a few KB: an edge reads a user's inbox only while the user connects, so it keeps
     * few; fanout parks for the same offline users again and again, so it keeps many.
     */
    private readonly maxCachedQueues = 10_000,
    /**
     * Most parked items per user: past it the oldest parked messages are dropped. Redis runs noeviction,
     * so an unbounded inbox of a user who never returns grows until Redis refuses writes; what is dropped
     * is still in the store, and the connect-time sync reads it from there.
     */
    private readonly maxPerUser = Number.POSITIVE_INFINITY,
  ) {}

  /** Queue handles kept now. */
  get cachedQueues(): number {
    return this.queues.size;
  }

  private queue(userId: string): Queue {
    let q = this.queues.get(userId);
    if (q) {
      this.queues.delete(userId); // re-insert keeps the map in least-recently-used order
      this.queues.set(userId, q);
      return q;
    }
    q = new Queue(`offline.${userId}`, { connection: this.redis, prefix: `${this.ns}:bull` });
    q.on('error', () => undefined); // connection errors surface on the awaited calls
    this.queues.set(userId, q);
    if (this.queues.size > this.maxCachedQueues) {
      const [oldestKey, oldest] = this.queues.entries().next().value as [string, Queue];
      this.queues.delete(oldestKey);
      void oldest.close().catch(() => undefined);
    }
    return q;
  }

  async park(userId: string, messages: MessageView[]): Promise<void> {
    if (messages.length === 0) return;
    const q = this.queue(userId);
    await q.addBulk(messages.map((m) => ({ name: 'message', data: m, opts: { jobId: m.id, removeOnComplete: true, removeOnFail: true } })));
    if (Number.isFinite(this.maxPerUser)) await this.trim(q);
  }

  /** Drops the oldest parked messages past the cap (notices stay: the store has no copy of some of them). */
  private async trim(q: Queue): Promise<void> {
    const count = await q.getWaitingCount();
    if (count <= this.maxPerUser) return;
    const oldest = await q.getRanges(['wait', 'paused'], 0, count - this.maxPerUser - 1, true);
    await Promise.all(oldest.filter((id) => MESSAGE_JOB_ID.test(id)).map((id) => q.remove(id)));
  }

  /** One page of the user's parked messages, oldest first; `offset` counts parked items (notices included). */
  async page(userId: string, limit: number, offset = 0): Promise<{ messages: MessageView[]; hasMore: boolean }> {
    const jobs = await this.queue(userId).getJobs(['waiting'], offset, offset + limit, true);
    const items = jobs.filter((j) => j && j.data);
    return {
      messages: items
        .slice(0, limit)
        .filter((j) => j.name === 'message')
        .map((j) => j.data as MessageView),
      hasMore: items.length > limit,
    };
  }

  /**
   * Parks notifications about messages (edits, deletes) for a user who is offline; `key` makes a repeat
   * of the same notification one job.
   */
  async parkEvents(userId: string, items: Array<{ key: string; envelope: DeliveryEnvelope }>): Promise<void> {
    if (items.length === 0) return;
    await this.queue(userId).addBulk(
      items.map((i) => ({ name: 'event', data: i.envelope, opts: { jobId: i.key, removeOnComplete: true, removeOnFail: true } })),
    );
  }

  /** The user's parked messages, oldest first. */
  async list(userId: string, limit = 10_000): Promise<MessageView[]> {
    return (await this.jobs(userId, limit)).filter((j) => j.name === 'message').map((j) => j.data as MessageView);
  }

  /**
   * What is parked for the user, oldest first, for a connect-time sync that reads the messages themselves
   * from the store: the ids of the parked messages (their copies are not read: a sync of thousands
   * spent more time parsing them than anything but the store read) and the parked notices with their data.
   * A message job's id is the message's 24-hex id; a notice's key always holds '|'.
   */
  async peek(
    userId: string,
    limit = 10_000,
  ): Promise<{ messageIds: string[]; events: Array<{ key: string; envelope: DeliveryEnvelope }> }> {
    const q = this.queue(userId);
    const ids = await q.getRanges(['wait', 'paused'], 0, limit - 1, true);
    const messageIds = ids.filter((id) => MESSAGE_JOB_ID.test(id));
    const noticeIds = ids.filter((id) => !MESSAGE_JOB_ID.test(id));
    const notices = noticeIds.length > 0 ? await Promise.all(noticeIds.map((id) => q.getJob(id))) : [];
    const events = notices
      .filter((j) => j && j.data && j.name === 'event')
      .map((j) => ({ key: String(j!.id), envelope: j!.data as DeliveryEnvelope }));
    return { messageIds, events };
  }

  private async jobs(userId: string, limit: number) {
    const jobs = await this.queue(userId).getJobs(['waiting'], 0, limit - 1, true);
    return jobs.filter((j) => j && j.data);
  }

  /** Removes parked jobs by id (message ids, or the keys of parked notifications). */
  async remove(userId: string, ids: string[]): Promise<void> {
    const q = this.queue(userId);
    await Promise.all(ids.map((id) => q.remove(id)));
  }

  async close(): Promise<void> {
    await Promise.all([...this.queues.values()].map((q) => q.close().catch(() => undefined)));
    this.queues.clear();
  }
}
