import { Forbidden, type MessageView } from '@chat/contracts';
import type { Inbox } from '../ports';

/** The caller's parked (not yet delivered) messages, in the order they were parked. */
export class ListOfflineUseCase {
  constructor(private readonly inbox: Inbox) {}

  async execute(input: { userId: string; pathUserId: string }): Promise<MessageView[]> {
    if (input.pathUserId !== input.userId) throw new Forbidden('you can only read your own offline messages');
    return this.inbox.list(input.userId);
  }
}
