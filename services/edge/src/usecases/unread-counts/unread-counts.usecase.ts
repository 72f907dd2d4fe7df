import { Forbidden } from '@chat/contracts';
import type { Conversations, Cursors, Messages } from '../ports';
import { mapBounded } from '../bounded';

export interface UnreadCounts {
  count: number;
  byRoom: Record<string, number>;
}

/** Unread messages for the caller: per room, messages to them after their read cursor, deleted ones left out. */
export class UnreadCountsUseCase {
  constructor(
    private readonly conversations: Conversations,
    private readonly messages: Messages,
    private readonly cursors: Cursors,
  ) {}

  async execute(req: { userId: string; pathUserId: string }): Promise<UnreadCounts> {
    if (req.pathUserId !== req.userId) throw new Forbidden('you can only read your own unread counts');
    const [rooms, mine] = await Promise.all([this.conversations.roomsWithMessages(req.userId), this.cursors.forUser(req.userId)]);
    const byRoom: Record<string, number> = {};
    await mapBounded(rooms, async (r) => {
      const read = Math.max(mine.get(r.scope.roomId)?.readSeq ?? 0, r.scope.fromSeq);
      if (r.lastIncomingSeq <= read) return;
      const n = await this.messages.countIncomingSince(r.scope, read, r.lastIncomingSeq);
      if (n > 0) byRoom[r.scope.roomId] = n;
    });
    return { count: Object.values(byRoom).reduce((a, b) => a + b, 0), byRoom };
  }
}
