import { lookupEach } from './lookup-each';
import { ONE_BATCH, type BlockDoc, type Models } from './models';

const DUPLICATE_KEY = 11000;

/** The id of "blocker blocks blocked": a point lookup answers whether one user blocks another. */
export const blockId = (blockerId: string, blockedId: string) => `${blockerId}:${blockedId}`;

/**
 * Who blocks whom. A user's blocks are written only at that user's request (by the edge; the last write
 * wins); what a block refuses is judged from here by the edge (cached, BLOCK_CACHE_MS), by the group
 * worker (read fresh) and, for one-to-one sends, by the room's persistence worker (kept in its memory).
 */
export class BlockStore {
  constructor(private readonly m: Models) {}

  /** Blocks `blockedId`; blocking again keeps the first block (two at once: one inserts, the other finds it). */
  async block(blockerId: string, blockedId: string, at: Date): Promise<void> {
    try {
      await this.m.Block.updateOne(
        { _id: blockId(blockerId, blockedId) },
        { $setOnInsert: { blockerId, blockedId, createdAt: at } },
        { upsert: true },
      );
    } catch (err) {
      if ((err as { code?: number }).code !== DUPLICATE_KEY) throw err;
    }
  }

  /** Unblocks; whether there was a block. */
  async unblock(blockerId: string, blockedId: string): Promise<boolean> {
    return (await this.m.Block.deleteOne({ _id: blockId(blockerId, blockedId) })).deletedCount === 1;
  }

  /** Whether `blockerId` blocks `blockedId`. */
  async blocks(blockerId: string, blockedId: string): Promise<boolean> {
    return (await this.m.Block.findById(blockId(blockerId, blockedId)).select({ _id: 1 }).lean()) !== null;
  }

  /** Everyone the user blocks (at most MAX_BLOCKS_PER_USER: `max` bounds the read). */
  async blockedBy(blockerId: string, max: number): Promise<Set<string>> {
    const docs = await this.m.Block.find({ blockerId })
      .select({ blockedId: 1 })
      .limit(max)
      .batchSize(ONE_BATCH)
      .lean<Array<Pick<BlockDoc, 'blockedId'>>>();
    return new Set(docs.map((d) => d.blockedId));
  }

  /** One page of the user's blocks, newest first. */
  async list(blockerId: string, page: { limit: number; offset: number }): Promise<Array<{ userId: string; blockedAt: Date }>> {
    const docs = await this.m.Block.find({ blockerId }).batchSize(ONE_BATCH).lean<BlockDoc[]>();
    return docs
      .sort((a, b) => new Date(b.createdAt).getTime() - new Date(a.createdAt).getTime() || (a._id < b._id ? 1 : -1))
      .slice(page.offset, page.offset + page.limit)
      .map((d) => ({ userId: d.blockedId, blockedAt: d.createdAt }));
  }

  /** Of these users, those who block `actorId`: one point lookup each, a few at a time (lookupEach). */
  async blockersAmong(actorId: string, userIds: string[]): Promise<Set<string>> {
    const users = [...new Set(userIds)].filter((u) => u !== actorId);
    return new Set(await lookupEach(users, async (u) => ((await this.blocks(u, actorId)) ? u : null)));
  }

  /** For each of these users, who blocks them: one lookup by `blockedId` each. */
  async blockersOf(blockedIds: string[]): Promise<Map<string, Set<string>>> {
    const users = [...new Set(blockedIds)];
    const found = await lookupEach(users, async (u): Promise<[string, Set<string>]> => {
      const docs = await this.m.Block.find({ blockedId: u })
        .select({ blockerId: 1 })
        .batchSize(ONE_BATCH)
        .lean<Array<Pick<BlockDoc, 'blockerId'>>>();
      return [u, new Set(docs.map((d) => d.blockerId))];
    });
    return new Map(found);
  }
}
