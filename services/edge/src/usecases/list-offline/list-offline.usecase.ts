import { Forbidden, type MessageView } from '@chat/contracts';
import type { Inbox } from '../ports';

export const OFFLINE_PAGE_DEFAULT = 100;

/** The caller's parked (not yet delivered) messages, in the order they were parked, a page at a time. */
export class ListOfflineUseCase {
  constructor(private readonly inbox: Inbox) {}

  async execute(input: {
    userId: string;
    pathUserId: string;
    limit?: number;
    offset?: number;
  }): Promise<{ messages: MessageView[]; hasMore: boolean }> {
    if (input.pathUserId !== input.userId) throw new Forbidden('you can only read your own offline messages');
    return this.inbox.page(input.userId, input.limit ?? OFFLINE_PAGE_DEFAULT, input.offset ?? 0);
  }
}
