import { Forbidden, type ConversationView } from '@chat/contracts';
import { toConversationView } from '@chat/store';
import type { Conversations } from '../ports';
import type { RoomSummaries, RoomSummary } from '../room-summaries';

export interface ConversationSummary extends ConversationView, RoomSummary {
  otherParticipant: string;
}

/** The caller's conversations, most recent activity first. */
export class ListConversationsUseCase {
  constructor(
    private readonly conversations: Conversations,
    private readonly summaries: RoomSummaries,
  ) {}

  async execute(input: { userId: string; pathUserId: string; limit?: number; offset?: number }): Promise<ConversationSummary[]> {
    if (input.pathUserId !== input.userId) throw new Forbidden('you can only list your own conversations');
    const docs = await this.conversations.listForUser(input.userId, { limit: input.limit ?? 50, offset: input.offset ?? 0 });
    const summaries = await this.summaries.of(input.userId, docs);
    return docs.map((c, i) => ({
      ...toConversationView(c),
      otherParticipant: c.participants.find((p) => p !== input.userId) ?? input.userId,
      ...summaries[i],
    }));
  }
}
