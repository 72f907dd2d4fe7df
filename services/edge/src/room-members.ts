import { LRUCache } from 'lru-cache';
import type { Conversations } from './usecases/ports';

/** How long a group's member list is trusted for typing indicators (members change: see docs/design.md). */
export const GROUP_MEMBERS_TTL_MS = 5000;
/** How long "no such room" is remembered, so a client typing into a wrong id costs one read per interval. */
const MISS_TTL_MS = 2000;

/**
 * Each room's members, cached for events that must not cost a store read each (typing): a one-to-one room's
 * participants never change, so they are kept; a group's for GROUP_MEMBERS_TTL_MS. Only for ephemeral
 * events: a member removed from a group may go on seeing and sending typing indicators there for that long.
 * Stored messages and receipts keep checking membership fresh.
 */
export class RoomMembers {
  private readonly rooms: LRUCache<string, { participants: readonly string[] } | { missing: true }>;

  constructor(
    private readonly conversations: Pick<Conversations, 'get'>,
    private readonly opts: { groupTtlMs?: number; max?: number } = {},
  ) {
    this.rooms = new LRUCache({ max: opts.max ?? 100_000 });
  }

  /** The room's members if the user is one of them, else null. */
  async membersIfIn(roomId: string, userId: string): Promise<readonly string[] | null> {
    let entry = this.rooms.get(roomId);
    if (!entry) {
      const c = await this.conversations.get(roomId);
      if (c) {
        entry = { participants: c.participants };
        this.rooms.set(roomId, entry, { ttl: c.kind === 'group' ? (this.opts.groupTtlMs ?? GROUP_MEMBERS_TTL_MS) : 0 });
      } else {
        entry = { missing: true };
        this.rooms.set(roomId, entry, { ttl: MISS_TTL_MS });
      }
    }
    return 'participants' in entry && entry.participants.includes(userId) ? entry.participants : null;
  }
}
