import { LRUCache } from 'lru-cache';

export interface BlockLists {
  /** Everyone the user blocks, as stored. */
  blockedBy(userId: string): Promise<ReadonlySet<string>>;
}

/**
 * Each user's blocks for BLOCK_CACHE_MS, so the checks that refuse a blocked user (a send, opening a
 * conversation, a group add or invite) cost no store read per request. This edge forgets a user's entry
 * when it changes that user's blocks; other edges see the change when their entry expires, and meanwhile
 * the workers, which judge with what is current, refuse what they let through.
 */
export class CachedBlocks implements BlockLists {
  private readonly lists: LRUCache<string, Promise<ReadonlySet<string>>> | null;

  constructor(
    private readonly inner: BlockLists,
    ttlMs: number,
    max = 100_000,
  ) {
    this.lists = ttlMs > 0 ? new LRUCache({ max, ttl: ttlMs }) : null;
  }

  blockedBy(userId: string): Promise<ReadonlySet<string>> {
    if (!this.lists) return this.inner.blockedBy(userId);
    const hit = this.lists.get(userId);
    if (hit) return hit;
    // the read in flight is shared by every request that needs it meanwhile; a failed one is not kept
    const read = this.inner.blockedBy(userId);
    this.lists.set(userId, read);
    read.catch(() => this.lists?.delete(userId));
    return read;
  }

  /** Whether `blockerId` blocks `blockedId`, as cached. */
  async blocks(blockerId: string, blockedId: string): Promise<boolean> {
    return (await this.blockedBy(blockerId)).has(blockedId);
  }

  forget(userId: string): void {
    this.lists?.delete(userId);
  }
}
