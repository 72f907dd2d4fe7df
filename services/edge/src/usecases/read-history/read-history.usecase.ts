import { Forbidden, NotFound, type MessageView, type TombstoneView } from '@chat/contracts';
import { groupCounts, toHistoryView } from '@chat/store';
import type { Conversations, Cursors, Messages } from '../ports';

export interface HistoryInput {
  userId: string;
  roomId: string;
  queryUserId?: string;
  before?: number;
  after?: number;
  limit?: number;
}

export interface HistoryResult {
  messages: Array<MessageView | TombstoneView>;
  hasMore: boolean;
  /** 'desc': newest first (default; page older with `before`); 'asc': oldest first from `after`. */
  order: 'asc' | 'desc';
}

/** One page of a room's history, for participants only; deleted messages come back as tombstones. */
export class ReadHistoryUseCase {
  constructor(
    private readonly conversations: Conversations,
    private readonly messages: Messages,
    private readonly cursors: Cursors,
  ) {}

  async execute(q: HistoryInput): Promise<HistoryResult> {
    if (q.queryUserId !== undefined && q.queryUserId !== q.userId) throw new Forbidden('userId is not the authenticated user');
    const scope = await this.conversations.scopeFor(q.roomId, q.userId);
    if (!scope) throw new NotFound('room not found');
    const [page, cursors] = await Promise.all([
      this.messages.history(scope, { before: q.before, after: q.after, limit: q.limit ?? 50 }),
      this.cursors.forRoom(scope.roomId),
    ]);
    const view = (m: (typeof page.messages)[number]) => {
      if (scope.kind !== 'group') return toHistoryView(m, cursors.get(m.receiverId));
      const v = toHistoryView(m);
      if ('deleted' in v) return v;
      // in a group the counts say how far the other members got; the status is read/delivered once all did
      const receipts = groupCounts(m, scope.participants, cursors);
      const all = (n: number) => receipts.of > 0 && n === receipts.of;
      return { ...v, status: all(receipts.read) ? 'read' : all(receipts.delivered) ? 'delivered' : 'sent', receipts } as const;
    };
    return {
      messages: page.messages.map(view),
      hasMore: page.hasMore,
      order: q.after !== undefined ? 'asc' : 'desc',
    };
  }
}
