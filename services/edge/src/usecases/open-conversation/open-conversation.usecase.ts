import { Forbidden, Invalid, type ConversationView } from '@chat/contracts';
import { toConversationView } from '@chat/store';
import type { Conversations } from '../ports';

/** Creates the one-to-one conversation between the caller and another user, or returns the existing one. */
export class OpenConversationUseCase {
  constructor(private readonly conversations: Conversations) {}

  async execute(input: { userId: string; user1: string; user2: string }): Promise<ConversationView> {
    const { userId, user1, user2 } = input;
    if (user1 !== userId && user2 !== userId) throw new Forbidden('you can only open conversations you take part in');
    if (user1 === user2) throw new Invalid('a conversation needs two different users');
    return toConversationView(await this.conversations.findOrCreatePair(user1, user2));
  }
}
