import { LRUCache } from 'lru-cache';
import type { ConversationDoc, MemberRoom, RoomScope } from '@chat/store';
import { idAgeMs } from '@chat/contracts';
import { READ_YOUR_WRITES_WINDOW_MS, readYourWrites } from './usecases/read-your-writes';
import type { Conversations } from './usecases/ports';

/**
 * Caches room membership checks for one-to-one rooms, whose participants never change, so a positive
 * answer stays true. Group membership changes, so group scopes are always read fresh; negative answers
 * are not cached either (the room may be created a moment later).
 */
export class CachedConversations implements Conversations {
  private readonly scopes: LRUCache<string, RoomScope>;

  constructor(
    private readonly inner: Conversations,
    max = 100_000,
  ) {
    this.scopes = new LRUCache({ max });
  }

  findOrCreatePair(a: string, b: string): Promise<ConversationDoc> {
    return this.inner.findOrCreatePair(a, b);
  }

  get(roomId: string, opts?: { withTail?: boolean }): Promise<ConversationDoc | null> {
    return this.inner.get(roomId, opts);
  }

  async scopeFor(roomId: string, userId: string): Promise<RoomScope | null> {
    const key = `${roomId}|${userId}`;
    const hit = this.scopes.get(key);
    if (hit) return hit;
    let scope = await this.inner.scopeFor(roomId, userId);
    // A group created a moment ago may still be on its way to the store (see readYourWrites).
    if (!scope && idAgeMs(roomId) < READ_YOUR_WRITES_WINDOW_MS && (await readYourWrites(roomId, () => this.inner.get(roomId))))
      scope = await this.inner.scopeFor(roomId, userId);
    if (scope && scope.kind === 'direct') this.scopes.set(key, scope);
    return scope;
  }

  listForUser(userId: string, page: { limit: number; offset: number }): Promise<MemberRoom[]> {
    return this.inner.listForUser(userId, page);
  }

  roomsWithMessages(userId: string): Promise<Array<{ scope: RoomScope; lastIncomingSeq: number }>> {
    return this.inner.roomsWithMessages(userId);
  }
}
