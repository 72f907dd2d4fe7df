import { randomUUID } from 'node:crypto';
import { AppError, MAX_BLOCKS_PER_USER, RoutingKeys, type BlockCommand } from '@chat/contracts';
import { judgeBlock } from '@chat/domain';
import type { CommandBus } from '../ports';

export interface BlockWrites {
  block(blockerId: string, blockedId: string, at: Date): Promise<void>;
  unblock(blockerId: string, blockedId: string): Promise<boolean>;
  /** Everyone the user blocks, read now (at most `max`). */
  blockedBy(blockerId: string, max: number): Promise<Set<string>>;
  list(blockerId: string, page: { limit: number; offset: number }): Promise<Array<{ userId: string; blockedAt: Date }>>;
}

export interface BlockRequest {
  userId: string;
  targetId: string;
  correlationId?: string;
}

export interface BlockAnswer {
  userId: string;
  blocked: boolean;
}

/**
 * Blocks and unblocks. The block is stored first (only its blocker writes it), then, when the two have a
 * one-to-one room, a BlockCommand goes to that room's partition so its persistence worker refuses the
 * blocked user's sends from that point of the room's order on, including sends another edge accepted with
 * an older view. A pair without a room needs no command: the worker that first meets a room created later
 * reads the stored block. The answer comes once both are done, so every send after it is refused.
 */
export class BlocksUseCase {
  constructor(
    private readonly store: BlockWrites,
    private readonly rooms: { pairRoomId(a: string, b: string): Promise<string | null> },
    private readonly bus: CommandBus,
    /** This edge's cache of users' blocks: the blocker's entry is forgotten on every change. */
    private readonly cache: { forget(userId: string): void },
    private readonly limit = MAX_BLOCKS_PER_USER,
    private readonly now: () => Date = () => new Date(),
  ) {}

  async block(req: BlockRequest): Promise<BlockAnswer> {
    const current = req.userId === req.targetId ? new Set<string>() : await this.store.blockedBy(req.userId, this.limit + 1);
    const refusal = judgeBlock(req.userId, req.targetId, current.size, current.has(req.targetId), this.limit);
    if (refusal) throw new AppError(refusal.code, refusal.message);
    await this.store.block(req.userId, req.targetId, this.now());
    await this.tellRoom(req, true);
    return { userId: req.targetId, blocked: true };
  }

  async unblock(req: BlockRequest): Promise<BlockAnswer> {
    await this.store.unblock(req.userId, req.targetId);
    await this.tellRoom(req, false);
    return { userId: req.targetId, blocked: false };
  }

  /** The user's blocks, newest first. */
  async list(userId: string, page: { limit: number; offset: number }): Promise<{ blocks: Array<{ userId: string; blockedAt: string }> }> {
    const rows = await this.store.list(userId, page);
    return { blocks: rows.map((r) => ({ userId: r.userId, blockedAt: new Date(r.blockedAt).toISOString() })) };
  }

  private async tellRoom(req: BlockRequest, on: boolean): Promise<void> {
    this.cache.forget(req.userId);
    // read after the write: a room created meanwhile is found here, or its worker reads the stored block
    const roomId = await this.rooms.pairRoomId(req.userId, req.targetId);
    if (!roomId) return;
    const cmd: BlockCommand = {
      type: RoutingKeys.userBlock,
      correlationId: req.correlationId ?? randomUUID(),
      roomId,
      blockerId: req.userId,
      blockedId: req.targetId,
      on,
      requestedAt: this.now().toISOString(),
    };
    await this.bus.publishConfirmed(this.bus.route(cmd.type, roomId), cmd, { correlationId: cmd.correlationId });
  }
}
