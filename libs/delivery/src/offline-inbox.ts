import { Queue } from 'bullmq';
import type { Redis } from 'ioredis';
import type { MessageView } from '@chat/contracts';

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
    private readonly maxCachedQueues = 10_000,
  ) {}

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
    await this.queue(userId).addBulk(
      messages.map((m) => ({ name: 'message', data: m, opts: { jobId: m.id, removeOnComplete: true, removeOnFail: true } })),
    );
  }

  /** The user's parked messages, oldest first. */
  async list(userId: string, limit = 10_000): Promise<MessageView[]> {
    const jobs = await this.queue(userId).getJobs(['waiting'], 0, limit - 1, true);
    return jobs.filter((j) => j && j.data).map((j) => j.data as MessageView);
  }

  async remove(userId: string, messageIds: string[]): Promise<void> {
    const q = this.queue(userId);
    await Promise.all(messageIds.map((id) => q.remove(id)));
  }

  async close(): Promise<void> {
    await Promise.all([...this.queues.values()].map((q) => q.close().catch(() => undefined)));
    this.queues.clear();
  }
}
