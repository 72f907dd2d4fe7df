import { Forbidden, NotFound, type MessageView, type TombstoneView } from '@chat/contracts';
import { flagBlockedSender } from '@chat/domain';
import { groupCounts, reactionView, replyTombstone, toHistoryView, type MessageDoc } from '@chat/store';
import { NO_BLOCKS, type Conversations, type Cursors, type Messages, type ReaderBlocks } from '../ports';

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

/**
 * One page of a room's history, for participants only; deleted messages come back as tombstones. Each
 * message carries its reactions (count per emoji, and the reader's own), and a reply whose answered message
 * was deleted since shows that one as a tombstone; a message from someone the reader blocks is flagged
 * `blockedSender` (the reader's blocks read now, once per page).
 */
export class ReadHistoryUseCase {
  constructor(
    private readonly conversations: Conversations,
    private readonly messages: Messages,
    private readonly cursors: Cursors,
    private readonly blocks: ReaderBlocks = NO_BLOCKS,
  ) {}

  async execute(q: HistoryInput): Promise<HistoryResult> {
    if (q.queryUserId !== undefined && q.queryUserId !== q.userId) throw new Forbidden('userId is not the authenticated user');
    const scope = await this.conversations.scopeFor(q.roomId, q.userId);
    if (!scope) throw new NotFound('room not found');
    const [page, cursors, blocked] = await Promise.all([
      this.messages.history(scope, { before: q.before, after: q.after, limit: q.limit ?? 50 }),
      this.cursors.forRoom(scope.roomId),
      this.blocks.blockedBy(q.userId),
    ]);
    const gone = await this.answeredAndGone(page.messages);
    const view = (m: MessageDoc) => {
      const base = toHistoryView(m, scope.kind !== 'group' ? cursors.get(m.receiverId) : undefined);
      if ('deleted' in base) return base;
      const v = {
        ...flagBlockedSender(base, blocked),
        ...reactionView(m, q.userId),
        ...(base.replyTo && gone.has(base.replyTo.id) ? { replyTo: replyTombstone(base.replyTo) } : {}),
      };
      if (scope.kind !== 'group') return v;
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

  /**
   * The messages replies on the page answer that are deleted (or not found): those replies show a tombstone.
   * Resolved here rather than written into each reply on delete, so a delete stays one write; it costs
   * one _id lookup per answered message, only on pages that hold replies.
   */
  private async answeredAndGone(page: MessageDoc[]): Promise<Set<string>> {
    const ids = [...new Set(page.flatMap((m) => (m.replyTo && !m.deletedAt ? [m.replyTo.id] : [])))];
    if (ids.length === 0) return new Set();
    const found = await this.messages.replyTargets(ids);
    const live = new Set(found.filter((t) => !t.deletedAt).map((t) => String(t._id)));
    return new Set(ids.filter((id) => !live.has(id)));
  }
}
