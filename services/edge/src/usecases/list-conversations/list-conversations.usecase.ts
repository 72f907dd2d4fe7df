import { Forbidden, type ConversationView } from '@chat/contracts';
import { lastIncomingSeq, toConversationView, type LastMessage } from '@chat/store';
import type { Conversations, Cursors, Messages } from '../ports';

export interface ConversationSummary extends ConversationView {
  otherParticipant: string;
  unreadCount: number;
  lastMessage: (Omit<LastMessage, 'createdAt' | 'content'> & { content: string | null; createdAt: string }) | null;
}

/** The caller's conversations, most recent activity first. */
export class ListConversationsUseCase {
  constructor(
    private readonly conversations: Conversations,
    private readonly messages: Messages,
    private readonly cursors: Cursors,
  ) {}

  async execute(input: { userId: string; pathUserId: string; limit?: number; offset?: number }): Promise<ConversationSummary[]> {
    if (input.pathUserId !== input.userId) throw new Forbidden('you can only list your own conversations');
    const [docs, mine] = await Promise.all([
      this.conversations.listForUser(input.userId, { limit: input.limit ?? 50, offset: input.offset ?? 0 }),
      this.cursors.forUser(input.userId),
    ]);
    const unread = await Promise.all(
      docs.map(async (c) => {
        const read = mine.get(String(c._id))?.readSeq ?? 0;
        if (lastIncomingSeq(c, input.userId) <= read) return 0;
        const scope = await this.conversations.scopeFor(String(c._id), input.userId);
        return scope ? this.messages.countIncomingSince(scope, read) : 0;
      }),
    );
    return docs.map((c, i) => ({
      ...toConversationView(c),
      otherParticipant: c.participants.find((p) => p !== input.userId) ?? input.userId,
      unreadCount: unread[i],
      lastMessage: c.lastMessage
        ? {
            ...c.lastMessage,
            content: c.lastMessage.deleted ? null : c.lastMessage.content,
            createdAt: new Date(c.lastMessage.createdAt).toISOString(),
          }
        : null,
    }));
  }
}
