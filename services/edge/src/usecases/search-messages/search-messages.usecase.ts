import { Invalid, NotFound, SEARCH_MAX_WORDS, type MessageView } from '@chat/contracts';
import {
  groupCounts,
  type CursorDoc,
  searchWords,
  toMessageView,
  type MessageDoc,
  type RoomScope,
  type SearchPage,
  type SearchQuery,
  type SearchRoom,
} from '@chat/store';
import type { Conversations, Cursors } from '../ports';

export interface SearchInput {
  userId: string;
  q: string;
  roomId?: string;
  /** `nextBefore` of the previous page: `<createdAt ms>.<message id>`. */
  before?: string;
  limit?: number;
}

export interface SearchResult {
  messages: MessageView[];
  /** Pass as `before` for the next page; null when there is none. */
  nextBefore: string | null;
  /** The scan reached its bound (FerretDB): messages sent before `searchedSince` were not searched. */
  partial: boolean;
  searchedSince: string | null;
}

export interface SearchPorts {
  conversations: Pick<Conversations, 'scopeFor'>;
  rooms: { searchRooms(userId: string): Promise<SearchRoom[]>; searchRoom(scope: RoomScope): Promise<SearchRoom | null> };
  search: { search(rooms: SearchRoom[], q: SearchQuery): Promise<SearchPage> };
  cursors: Pick<Cursors, 'forRoom'>;
}

export const cursorOf = (m: Pick<MessageDoc, 'createdAt' | '_id'>) => `${new Date(m.createdAt).getTime()}.${String(m._id)}`;

/**
 * Messages holding every word of the query, in the caller's rooms (or one of them: a room the caller is not
 * in is not found, as an unknown one), newest first; never a deleted one, nor one from before the caller
 * joined a group, nor from a room the caller left.
 */
export class SearchMessagesUseCase {
  constructor(private readonly p: SearchPorts) {}

  async execute(input: SearchInput): Promise<SearchResult> {
    const words = searchWords(input.q);
    if (words.length === 0) throw new Invalid('q must hold at least one word (letters or digits)', [{ field: 'q', problems: ['no word'] }]);
    if (words.length > SEARCH_MAX_WORDS)
      throw new Invalid(`q may hold at most ${SEARCH_MAX_WORDS} words`, [{ field: 'q', problems: ['too many words'] }]);
    const rooms = await this.roomsFor(input.userId, input.roomId);
    const before = input.before ? parseCursor(input.before) : undefined;
    const limit = input.limit ?? 20;
    const page = await this.p.search.search(rooms, { words, before, limit });
    const scopes = new Map(rooms.map((r) => [r.scope.roomId, r.scope]));
    const cursors = new Map(
      await Promise.all(
        [...new Set(page.messages.map((m) => m.roomId))].map(async (id) => [id, await this.p.cursors.forRoom(id)] as const),
      ),
    );
    const messages = page.messages.map((m) => {
      const scope = scopes.get(m.roomId)!;
      const roomCursors = cursors.get(m.roomId) ?? new Map<string, CursorDoc>();
      if (scope.kind !== 'group') return toMessageView(m, roomCursors.get(m.receiverId));
      const receipts = groupCounts(m, scope.participants, roomCursors);
      const all = (n: number) => receipts.of > 0 && n === receipts.of;
      return {
        ...toMessageView(m),
        status: all(receipts.read) ? 'read' : all(receipts.delivered) ? 'delivered' : 'sent',
        receipts,
      } as const;
    });
    const last = page.messages[page.messages.length - 1];
    return {
      messages,
      nextBefore: page.hasMore && last ? cursorOf(last) : null,
      partial: page.partial,
      searchedSince: page.searchedSince ? page.searchedSince.toISOString() : null,
    };
  }

  private async roomsFor(userId: string, roomId: string | undefined): Promise<SearchRoom[]> {
    if (roomId === undefined) return this.p.rooms.searchRooms(userId);
    const scope = await this.p.conversations.scopeFor(roomId, userId);
    const room = scope && (await this.p.rooms.searchRoom(scope));
    if (!room) throw new NotFound('room not found');
    return [room];
  }
}

/** A `before` value: the time and id of the last message of the previous page. */
function parseCursor(s: string): { at: Date; id: string } {
  const [t, id] = s.split('.');
  const at = new Date(Number(t));
  if (Number.isNaN(at.getTime())) throw new Invalid('before is not a nextBefore value', [{ field: 'before', problems: ['bad cursor'] }]);
  return { at, id };
}
