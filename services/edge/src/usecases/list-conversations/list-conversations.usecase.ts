import { Forbidden, type ConversationView } from '@chat/contracts';
import { toConversationView, type LastMessage } from '@chat/store';
import type { Conversations } from '../ports';

export interface ConversationSummary extends ConversationView {
  otherParticipant: string;
  lastMessage: (Omit<LastMessage, 'createdAt' | 'content'> & { content: string | null; createdAt: string }) | null;
}

/** The caller's conversations, most recent activity first. */
export class ListConversationsUseCase {
  constructor(private readonly conversations: Conversations) {}

  async execute(input: { userId: string; pathUserId: string; limit?: number; offset?: number }): Promise<ConversationSummary[]> {
    if (input.pathUserId !== input.userId) throw new Forbidden('you can only list your own conversations');
    const docs = await this.conversations.listForUser(input.userId, { limit: input.limit ?? 50, offset: input.offset ?? 0 });
    return docs.map((c) => ({
      ...toConversationView(c),
      otherParticipant: c.participants.find((p) => p !== input.userId) ?? input.userId,
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
