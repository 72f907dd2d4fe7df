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
  /** Per room: its members (null: no such room) and until when they are trusted. */
  private readonly rooms: LRUCache<string, { participants: readonly string[] | null; until: number }>;

  constructor(
    private readonly conversations: Pick<Conversations, 'get'>,
    private readonly opts: { groupTtlMs?: number; max?: number } = {},
    private readonly now: () => number = Date.now,
  ) {
    this.rooms = new LRUCache({ max: opts.max ?? 100_000 });
  }

  /**
   * The room's members if the user is one of them, else null. `beforeRead` runs before a store read (the
   * caller counts it against the user's limits: made-up room ids would otherwise cost a read each).
   */
  async membersIfIn(roomId: string, userId: string, beforeRead?: () => Promise<unknown>): Promise<readonly string[] | null> {
    let entry = this.rooms.get(roomId);
    if (!entry || entry.until <= this.now()) {
      await beforeRead?.();
      const c = await this.conversations.get(roomId);
      const ttl = !c ? MISS_TTL_MS : c.kind === 'group' ? (this.opts.groupTtlMs ?? GROUP_MEMBERS_TTL_MS) : Infinity;
      entry = { participants: c ? c.participants : null, until: this.now() + ttl };
      this.rooms.set(roomId, entry);
    }
    return entry.participants?.includes(userId) ? entry.participants : null;
  }
}
