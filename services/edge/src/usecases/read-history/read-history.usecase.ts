import { Forbidden, NotFound, type MessageView, type TombstoneView } from '@chat/contracts';
import { toHistoryView } from '@chat/store';
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
    return {
      messages: page.messages.map((m) => toHistoryView(m, cursors.get(m.receiverId))),
      hasMore: page.hasMore,
      order: q.after !== undefined ? 'asc' : 'desc',
    };
  }
}
