import type { ReactMessageCommand } from '@chat/contracts';
import type { MessageDoc } from '@chat/store';
import { ReactMessageUseCase, type ReactionStore } from './react-message.usecase';

const [A, B, C, ROOM, MID] = ['a', 'b', 'c', 'd', 'e'].map((x) => x.repeat(24));

class Store implements ReactionStore {
  writes: Array<{ reactions: MessageDoc['reactions']; seq?: number }> = [];
  members: string[] = [];
  constructor(public doc: MessageDoc | null) {}
  async findByIds(): Promise<MessageDoc[]> {
    return this.doc ? [this.doc] : [];
  }
  async applyReactions(_id: string, reactions: MessageDoc['reactions'], seq?: number): Promise<void> {
    this.writes.push({ reactions, seq });
    if (this.doc) this.doc = { ...this.doc, reactions };
  }
  async groupMembers(): Promise<string[]> {
    return this.members;
  }
}

const doc = (over: Partial<MessageDoc> = {}) =>
  ({ _id: MID, roomId: ROOM, seq: 1, senderId: A, receiverId: B, content: 'hi', deletedAt: null, ...over }) as unknown as MessageDoc;
const react = (over: Partial<ReactMessageCommand> = {}): ReactMessageCommand => ({
  type: 'message.react.v1',
  correlationId: 'c',
  messageId: MID,
  roomId: ROOM,
  actorId: B,
  emoji: '👍',
  on: true,
  requestedAt: new Date().toISOString(),
  ...over,
});

describe('ReactMessageUseCase (persistence)', () => {
  it('stores the reaction with the room seq it took and tells both sides the counts', async () => {
    const store = new Store(doc());
    let seq = 6;
    const uc = new ReactMessageUseCase(store, async () => ++seq);
    const e = await uc.execute(react());
    expect(e).toMatchObject({ outcome: 'applied', audience: [A, B], counts: { '👍': 1 }, emoji: '👍', on: true });
    expect(store.writes).toEqual([{ reactions: [{ emoji: '👍', userIds: [B] }], seq: 7 }]);
    // the same again changes nothing and writes nothing
    expect((await uc.execute(react())).counts).toEqual({ '👍': 1 });
    expect(store.writes).toHaveLength(1);
    expect((await uc.execute(react({ actorId: A, on: false }))).counts).toEqual({ '👍': 1 });
    expect((await uc.execute(react({ on: false }))).counts).toEqual({});
    expect(store.writes.at(-1)).toEqual({ reactions: [], seq: 8 });
  });

  it('refuses a deleted message, telling only the actor', async () => {
    const store = new Store(doc({ deletedAt: new Date() }));
    const e = await new ReactMessageUseCase(store).execute(react());
    expect(e).toMatchObject({ outcome: 'refused', audience: [], error: { code: 'CONFLICT' } });
    expect(store.writes).toEqual([]);
  });

  it('judges a group message by the group’s members as they are now', async () => {
    const store = new Store(doc({ groupId: ROOM, receiverId: ROOM }));
    store.members = [A, C];
    const uc = new ReactMessageUseCase(store);
    expect(await uc.execute(react({ actorId: C }))).toMatchObject({ outcome: 'applied', groupId: ROOM, audience: [] });
    expect((await uc.execute(react({ actorId: B }))).error?.code).toBe('NOT_FOUND');
  });
});
