import { Invalid, NotFound } from '@chat/contracts';
import type { MessageDoc, RoomScope, SearchQuery, SearchRoom } from '@chat/store';
import { SearchMessagesUseCase } from './search-messages.usecase';

const [ME, PAL, ROOM, OTHER_ROOM] = ['a', 'b', 'c', 'd'].map((c) => c.repeat(24));
const scope = (roomId: string) => ({ roomId, userId: ME, participants: [ME, PAL], kind: 'direct', fromSeq: 0 }) as unknown as RoomScope;
const room = (roomId: string): SearchRoom => ({ scope: scope(roomId), lastSeq: 3, tailOpen: false, lastActivityAt: new Date(5000) });
// the id as the store hands it back: anything whose String() is the 24-hex id
const doc = (seq: number): MessageDoc => ({
  _id: `${'e'.repeat(20)}${String(seq).padStart(4, '0')}` as unknown as MessageDoc['_id'],
  roomId: ROOM,
  seq,
  senderId: PAL,
  receiverId: ME,
  content: 'hello there',
  clientMsgId: null,
  createdAt: new Date(1000 * seq),
  editedAt: null,
  deletedAt: null,
});

/** The rules around the store's search, over ports held in memory. */
describe('SearchMessagesUseCase', () => {
  let asked: { rooms: SearchRoom[]; q: SearchQuery }[];
  let hits: MessageDoc[];
  const useCase = () =>
    new SearchMessagesUseCase({
      conversations: { scopeFor: async (roomId, userId) => (roomId === ROOM && userId === ME ? scope(roomId) : null) },
      rooms: { searchRooms: async () => [room(ROOM), room(OTHER_ROOM)], searchRoom: async (s) => room(s.roomId) },
      search: {
        search: async (rooms, q) => {
          asked.push({ rooms, q });
          return { messages: hits.slice(0, q.limit), hasMore: hits.length > q.limit, partial: false, searchedSince: null, scanned: 0 };
        },
      },
      cursors: { forRoom: async () => new Map() },
    });
  beforeEach(() => {
    asked = [];
    hits = [doc(3), doc(2), doc(1)];
  });

  it('searches all the caller’s rooms, or the one named, with the query’s folded words', async () => {
    await useCase().execute({ userId: ME, q: 'Hello THERE' });
    expect(asked[0].rooms.map((r) => r.scope.roomId)).toEqual([ROOM, OTHER_ROOM]);
    expect(asked[0].q.words).toEqual(['hello', 'there']);
    await useCase().execute({ userId: ME, q: 'hello', roomId: ROOM });
    expect(asked[1].rooms.map((r) => r.scope.roomId)).toEqual([ROOM]);
  });

  it('a room the caller is not in is not found, like an unknown one, and is never searched', async () => {
    await expect(useCase().execute({ userId: ME, q: 'hello', roomId: OTHER_ROOM })).rejects.toThrow(NotFound);
    await expect(useCase().execute({ userId: PAL.replace('b', 'e'), q: 'hello', roomId: ROOM })).rejects.toThrow(NotFound);
    expect(asked).toEqual([]);
  });

  it('pages with nextBefore, the last message’s time and id, and reads it back as the position', async () => {
    const first = await useCase().execute({ userId: ME, q: 'hello', limit: 2 });
    expect(first.messages.map((m) => m.seq)).toEqual([3, 2]);
    expect(first.nextBefore).toBe(`2000.${String(hits[1]._id)}`);
    await useCase().execute({ userId: ME, q: 'hello', limit: 2, before: first.nextBefore! });
    expect(asked[1].q.before).toEqual({ at: new Date(2000), id: String(hits[1]._id) });
    hits = hits.slice(0, 1);
    expect((await useCase().execute({ userId: ME, q: 'hello', limit: 2 })).nextBefore).toBeNull();
  });

  it('refuses a query without a word or with too many words', async () => {
    await expect(useCase().execute({ userId: ME, q: '?!' })).rejects.toThrow(Invalid);
    await expect(useCase().execute({ userId: ME, q: 'a b c d e f g h i j k' })).rejects.toThrow(Invalid);
  });
});
