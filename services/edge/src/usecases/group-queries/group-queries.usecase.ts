import { NotFound, type GroupView, type MessageView } from '@chat/contracts';
import { toGroupView, toMessageView, type ConversationDoc, type MessageDoc, type RoomScope } from '@chat/store';
import type { Conversations } from '../ports';

export interface GroupListing {
  listForUser(userId: string, page: { limit: number; offset: number }): Promise<ConversationDoc[]>;
}
export interface Mentions {
  mentioning(scope: RoomScope, limit: number): Promise<MessageDoc[]>;
}

/** Reads about groups, for members only: my groups, a group's members, my mentions in a group. */
export class GroupQueriesUseCase {
  constructor(
    private readonly groups: GroupListing,
    private readonly conversations: Conversations,
    private readonly mentions: Mentions,
  ) {}

  async myGroups(userId: string, page: { limit?: number; offset?: number }): Promise<GroupView[]> {
    return (await this.groups.listForUser(userId, { limit: page.limit ?? 50, offset: page.offset ?? 0 })).map(toGroupView);
  }

  async members(userId: string, groupId: string): Promise<{ groupId: string; members: string[]; admins: string[] }> {
    const g = await this.conversations.get(groupId);
    if (!g || g.kind !== 'group' || !g.participants.includes(userId)) throw new NotFound('group not found');
    return { groupId, members: [...g.participants], admins: [...(g.admins ?? [])] };
  }

  async tagged(userId: string, groupId: string, limit = 50): Promise<MessageView[]> {
    const scope = await this.conversations.scopeFor(groupId, userId);
    if (!scope || scope.kind !== 'group') throw new NotFound('group not found');
    return (await this.mentions.mentioning(scope, limit)).map((m) => toMessageView(m));
  }
}
