import type { BlockCommand, SendMessageCommand } from '@chat/contracts';
import { judgeSend, type Refusal } from '@chat/domain';

export interface BlockReads {
  /** Whether `blockerId` blocks `blockedId`, as stored. */
  blocks(blockerId: string, blockedId: string): Promise<boolean>;
}

/** Rooms loaded at once when a batch touches many new ones. */
const LOAD_CONCURRENCY = 16;

/**
 * The blocks between the two participants of each one-to-one room this worker owns, kept in memory so a
 * send is judged with no store call. Correct because every change reaches the owner in the room's order:
 * the edge stores a block and then, when the pair has a room, publishes a BlockCommand to the room's
 * partition (`apply`); a room met for the first time is read from the store, which already holds any
 * block whose command is not yet here. Forgotten when the partitions may have had another owner.
 */
export class PairBlocks {
  private readonly rooms = new Map<string, Set<string>>();

  constructor(
    private readonly store: BlockReads,
    /** Rooms kept; past it the oldest are forgotten (and read again when next met). */
    private readonly max = 200_000,
  ) {}

  /** The sends of the batch to refuse, by message id: one-to-one sends whose receiver blocks the sender. */
  async refusals(sends: readonly SendMessageCommand[]): Promise<Map<string, Refusal>> {
    const direct = sends.filter((c) => !c.message.groupId);
    const unknown = new Map<string, [string, string]>();
    for (const { message: m } of direct) if (!this.rooms.has(m.roomId)) unknown.set(m.roomId, [m.senderId, m.receiverId]);
    const pending = [...unknown];
    for (let i = 0; i < pending.length; i += LOAD_CONCURRENCY) {
      await Promise.all(pending.slice(i, i + LOAD_CONCURRENCY).map(([roomId, pair]) => this.load(roomId, pair)));
    }
    const out = new Map<string, Refusal>();
    for (const { message: m } of direct) {
      const blockers = this.rooms.get(m.roomId);
      const refusal = judgeSend(m, (blocker) => blockers?.has(blocker) ?? false);
      if (refusal) out.set(m.id, refusal);
    }
    return out;
  }

  /** A block or unblock, in the room's order; a room not in memory is read when next met. */
  apply(cmd: BlockCommand): void {
    const blockers = this.rooms.get(cmd.roomId);
    if (!blockers) return;
    if (cmd.on) blockers.add(cmd.blockerId);
    else blockers.delete(cmd.blockerId);
  }

  forgetAll(): void {
    this.rooms.clear();
  }

  private async load(roomId: string, [a, b]: [string, string]): Promise<void> {
    const [aBlocksB, bBlocksA] = await Promise.all([this.store.blocks(a, b), this.store.blocks(b, a)]);
    const blockers = new Set<string>();
    if (aBlocksB) blockers.add(a);
    if (bBlocksA) blockers.add(b);
    if (this.rooms.size >= this.max) this.rooms.delete(this.rooms.keys().next().value!);
    this.rooms.set(roomId, blockers);
  }
}
