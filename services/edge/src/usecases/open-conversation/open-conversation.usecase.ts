import { Blocked, Forbidden, Invalid, type ConversationView } from '@chat/contracts';
import { toConversationView } from '@chat/store';
import { NO_BLOCKS, type BlockCheck, type Conversations } from '../ports';

/**
 * Creates the one-to-one conversation between the caller and another user, or returns the existing one;
 * refused (BLOCKED) when the other user blocks the caller.
 */
export class OpenConversationUseCase {
  constructor(
    private readonly conversations: Conversations,
    private readonly blocks: BlockCheck = NO_BLOCKS,
  ) {}

  async execute(input: { userId: string; user1: string; user2: string }): Promise<ConversationView> {
    const { userId, user1, user2 } = input;
    if (user1 !== userId && user2 !== userId) throw new Forbidden('you can only open conversations you take part in');
    if (user1 === user2) throw new Invalid('a conversation needs two different users');
    const other = user1 === userId ? user2 : user1;
    if (await this.blocks.blocks(other, userId)) throw new Blocked();
    return toConversationView(await this.conversations.findOrCreatePair(user1, user2));
  }
}
