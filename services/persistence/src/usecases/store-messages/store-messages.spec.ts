import type { SendMessageCommand } from '@chat/contracts';
import type { LastMessage, MessageDoc, NewMessage } from '@chat/store';
import { StoreMessagesUseCase, type MessageWriter, type SeqAllocator } from './store-messages.usecase';

const A = 'a'.repeat(24);
const B = 'b'.repeat(24);
const ROOM = 'c'.repeat(24);

class FakeStore implements MessageWriter, SeqAllocator {
  docs = new Map<string, MessageDoc>();
  lastSeq = new Map<string, number>([[ROOM, 0]]);
  async findByIds(ids: string[]) {
    return ids.flatMap((id) => (this.docs.has(id) ? [this.docs.get(id)!] : []));
  }
  async insertIdempotent(docs: NewMessage[]) {
    const collided = new Set<string>();
    for (const { id, ...rest } of docs) {
      if (this.docs.has(id)) collided.add(id);
      else this.docs.set(id, { _id: id as unknown as MessageDoc['_id'], ...rest });
    }
    return collided;
  }
  reads = 0;
  senders: Array<readonly string[] | undefined> = [];
  async reserveSeqs(roomId: string, count: number, _last: LastMessage, known?: number, senders?: readonly string[]) {
    this.senders.push(senders);
    if (known === undefined || known !== this.lastSeq.get(roomId)) this.reads++;
    const cur = this.lastSeq.get(roomId);
    if (cur === undefined) return null;
    this.lastSeq.set(roomId, cur + count);
    return cur + 1;
  }
  async reserveChangeSeq(roomId: string, known?: number) {
    if (known === undefined || known !== this.lastSeq.get(roomId)) this.reads++;
    const cur = this.lastSeq.get(roomId);
    if (cur === undefined) return null;
    this.lastSeq.set(roomId, cur + 1);
    return cur + 1;
  }
}

let n = 0;
function cmd(roomId = ROOM, id = (++n).toString(16).padStart(24, '0')): SendMessageCommand {
  return {
    type: 'message.send.v1',
    correlationId: `c${id}`,
    message: { id, roomId, senderId: A, receiverId: B, content: `m${id}`, clientMsgId: null, createdAt: new Date().toISOString() },
  };
}

describe('StoreMessagesUseCase', () => {
  it('gives a room consecutive seqs in batch order', async () => {
    const store = new FakeStore();
    const { events } = await new StoreMessagesUseCase(store, store).execute([cmd(), cmd(), cmd()]);
    expect(events.map((e) => e!.message.seq)).toEqual([1, 2, 3]);
    expect(events.every((e) => e!.replay === false)).toBe(true);
  });

  it('names the sender of each reserved seq of a one-to-one room, in order; none for a group', async () => {
    const store = new FakeStore();
    const uc = new StoreMessagesUseCase(store, store);
    const fromB = cmd();
    fromB.message = { ...fromB.message, senderId: B, receiverId: A };
    await uc.execute([cmd(), fromB, cmd()]);
    expect(store.senders).toEqual([[A, B, A]]);
    const group = cmd();
    group.message = { ...group.message, receiverId: ROOM, groupId: ROOM, mentions: [] };
    await uc.execute([group]);
    expect(store.senders[1]).toBeUndefined();
  });

  it('answers a redelivered command with the stored message and takes no new seq', async () => {
    const store = new FakeStore();
    const uc = new StoreMessagesUseCase(store, store);
    const c = cmd();
    const first = await uc.execute([c]);
    const again = await uc.execute([c, cmd()]);
    expect(again.events[0]!.message.seq).toBe(first.events[0]!.message.seq);
    expect(again.events[0]!.replay).toBe(true);
    // the repeat's reserved seq stays unused: seqs keep increasing, with a gap
    expect(again.events[1]!.message.seq).toBeGreaterThan(first.events[0]!.message.seq!);
    expect(store.docs.size).toBe(2);
  });

  it('stores a duplicate inside one batch once', async () => {
    const store = new FakeStore();
    const c = cmd();
    const { events } = await new StoreMessagesUseCase(store, store).execute([c, c]);
    expect(events[0]!.message.seq).toBe(1);
    expect(events[1]!.replay).toBe(true);
    expect(store.lastSeq.get(ROOM)).toBe(1);
  });

  it('returns null for a command whose room does not exist', async () => {
    const store = new FakeStore();
    const { events } = await new StoreMessagesUseCase(store, store).execute([cmd('d'.repeat(24)), cmd()]);
    expect(events[0]).toBeNull();
    expect(events[1]!.message.seq).toBe(1);
  });

  it('remembers the last seq of a room and survives another writer having moved it', async () => {
    const store = new FakeStore();
    const uc = new StoreMessagesUseCase(store, store);
    await uc.execute([cmd()]);
    await uc.execute([cmd()]);
    expect(store.reads).toBe(1);
    store.lastSeq.set(ROOM, 10); // another writer took seqs meanwhile
    const { events } = await uc.execute([cmd()]);
    expect(events[0]!.message.seq).toBe(11);
  });

  it('stamps an edit or delete with the room seq after the messages before it, and the next messages come after it', async () => {
    const store = new FakeStore();
    const uc = new StoreMessagesUseCase(store, store);
    await uc.execute([cmd(), cmd()]);
    expect(await uc.stampChange(ROOM)).toBe(3);
    const { events } = await uc.execute([cmd()]);
    expect(events[0]!.message.seq).toBe(4);
    // one read for the room, the first time; the stamp and the later batch used the remembered seq
    expect(store.reads).toBe(1);
    expect(await uc.stampChange('f'.repeat(24))).toBeNull();
  });
});
