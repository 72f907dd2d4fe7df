import type { MessagePersistedEvent, SendMessageCommand } from '@chat/contracts';
import { StoreTimeoutError } from '@chat/store';
import { RoomHeads } from '../../room-heads';
import { MemoryRooms } from '../../testing/memory-rooms';
import { StoreMessagesUseCase } from './store-messages.usecase';

const A = 'a'.repeat(24);
const B = 'b'.repeat(24);
const ROOM = 'c'.repeat(24);

let n = 0;
function cmd(roomId = ROOM, id = (++n).toString(16).padStart(24, '0'), senderId = A): SendMessageCommand {
  return {
    type: 'message.send.v1',
    correlationId: `c${id}`,
    message: {
      id,
      roomId,
      senderId,
      receiverId: senderId === A ? B : A,
      content: `m${id}`,
      clientMsgId: null,
      createdAt: new Date().toISOString(),
    },
  };
}

/** The use case, its events read as stored ones (these specs refuse nothing; the last one does). */
class Storing extends StoreMessagesUseCase {
  override async execute(commands: SendMessageCommand[]) {
    return { events: (await super.execute(commands)).events as Array<MessagePersistedEvent | null> };
  }
}

function worker(store: MemoryRooms, owner = 'w1', clock = { t: 0 }) {
  const heads = new RoomHeads(store, { owner, flushMs: 1000, idleMs: 500, now: () => clock.t });
  return { heads, uc: new Storing(store, heads), clock };
}

function setup() {
  const store = new MemoryRooms();
  store.addRoom(ROOM);
  return { store, ...worker(store) };
}

describe('StoreMessagesUseCase', () => {
  it('gives a room consecutive seqs in batch order', async () => {
    const { uc } = setup();
    const { events } = await uc.execute([cmd(), cmd(), cmd()]);
    expect(events.map((e) => e!.message.seq)).toEqual([1, 2, 3]);
    expect(events.every((e) => e!.replay === false)).toBe(true);
  });

  it('makes no store round trip per message: the room is read and its tail opened once, the summary written behind', async () => {
    const { uc, store } = setup();
    for (let i = 0; i < 20; i++) await uc.execute([cmd(), cmd()]);
    expect(store.calls).toEqual({ loadHead: 1, openTail: 1, writeSummary: 0, insert: 20 });
    expect(store.rooms.get(ROOM)!.tailOpen).toBe('w1');
  });

  it('answers a redelivered command with the stored message and takes no new seq', async () => {
    const { uc, store } = setup();
    const c = cmd();
    const first = await uc.execute([c]);
    const again = await uc.execute([c, cmd()]);
    expect(again.events[0]!.message.seq).toBe(first.events[0]!.message.seq);
    expect(again.events[0]!.replay).toBe(true);
    // the repeat's seq stays unused: seqs keep increasing, with a gap
    expect(again.events[1]!.message.seq).toBeGreaterThan(first.events[0]!.message.seq!);
    expect(store.docs.size).toBe(2);
  });

  it('stores a duplicate inside one batch once', async () => {
    const { uc } = setup();
    const c = cmd();
    const { events } = await uc.execute([c, c]);
    expect(events[0]!.message.seq).toBe(1);
    expect(events[1]!.replay).toBe(true);
    expect((await uc.execute([cmd()])).events[0]!.message.seq).toBe(2);
  });

  it('returns null for a command whose room does not exist', async () => {
    const { uc } = setup();
    const { events } = await uc.execute([cmd('d'.repeat(24)), cmd()]);
    expect(events[0]).toBeNull();
    expect(events[1]!.message.seq).toBe(1);
  });

  it('gives a retried batch the same seqs when its insert failed part way, so the room keeps the send order', async () => {
    const { uc, store } = setup();
    const batch = [cmd(), cmd(), cmd()];
    store.failNextInsert = { stored: 1 };
    await expect(uc.execute(batch)).rejects.toThrow('connection closed');
    const { events } = await uc.execute(batch);
    expect(events.map((e) => e!.message.seq)).toEqual([1, 2, 3]);
    expect(events.map((e) => e!.replay)).toEqual([true, false, false]);
  });

  it('a new owner finds the true last seq when the old one died between its inserts and its summary write', async () => {
    const { uc, store } = setup();
    await uc.execute([cmd(), cmd(), cmd()]);
    expect(store.rooms.get(ROOM)!.lastSeq).toBe(0); // nothing written behind yet: the tail is open
    const next = worker(store, 'w2');
    const { events } = await next.uc.execute([cmd()]);
    expect(events[0]!.message.seq).toBe(4);
  });

  it('fences a stale owner with the unique (room, seq): it forgets the room, reads it again, and no seq is used twice', async () => {
    const store = new MemoryRooms();
    store.addRoom(ROOM);
    const a = worker(store, 'wa');
    const b = worker(store, 'wb');
    await a.uc.execute([cmd()]); // seq 1
    await b.uc.execute([cmd()]); // b took over: seq 2
    await expect(a.uc.execute([cmd()])).rejects.toThrow(/seq collision/);
    const { events } = await a.uc.execute([cmd()]);
    expect(events[0]!.message.seq).toBe(3);
    const seqs = [...store.docs.values()].map((d) => d.seq).sort();
    expect(seqs).toEqual([1, 2, 3]);
  });

  it('stamps an edit or delete with the room seq after the messages before it, writing the summary first', async () => {
    const { uc, store } = setup();
    await uc.execute([cmd(), cmd()]);
    expect(await uc.stampChange(ROOM)).toBe(3);
    const room = store.rooms.get(ROOM)!;
    expect([room.lastSeq, room.lastChangeSeq, room.lastMessage?.seq]).toEqual([3, 3, 2]);
    const { events } = await uc.execute([cmd()]);
    expect(events[0]!.message.seq).toBe(4);
    expect(await uc.stampChange('f'.repeat(24))).toBeNull();
  });
});

describe('RoomHeads summaries', () => {
  it('writes a room summary once per interval, with each sender’s last seq, and closes the tail when the room is quiet', async () => {
    const { uc, store, heads, clock } = setup();
    await uc.execute([cmd(), cmd(ROOM, undefined, B), cmd()]);
    clock.t = 300;
    expect(await heads.flush()).toEqual({ written: 0, failed: 0 });
    clock.t = 600;
    await uc.execute([cmd()]);
    clock.t = 1000;
    expect(await heads.flush()).toEqual({ written: 1, failed: 0 });
    const room = store.rooms.get(ROOM)!;
    expect([room.lastSeq, room.lastMessage?.seq, room.lastSeqBy, room.tailOpen]).toEqual([4, 4, { [A]: 4, [B]: 2 }, 'w1']);
    clock.t = 1200;
    await heads.flush();
    expect(room.tailOpen).toBeNull();
    expect(store.calls.writeSummary).toBe(2);
    // the next message opens it again before it is stored
    await uc.execute([cmd()]);
    expect(room.tailOpen).toBe('w1');
  });

  it('runs another write of the room (a group change) after an in-flight summary write, never during it', async () => {
    const { uc, store, heads, clock } = setup();
    await uc.execute([cmd()]);
    const order: string[] = [];
    let release = () => undefined as void;
    const write = store.writeSummary.bind(store);
    store.writeSummary = async (...a) => {
      order.push('summary start');
      await new Promise<void>((r) => (release = r));
      order.push('summary end');
      return write(...a);
    };
    clock.t = 5000;
    const flushing = heads.flush();
    const save = heads.exclusive(ROOM, async () => void order.push('group save'));
    await new Promise((r) => setImmediate(r));
    release();
    await Promise.all([flushing, save]);
    expect(order).toEqual(['summary start', 'summary end', 'group save']);
  });

  it('a close still in flight when the worker forgets its rooms cannot close the tail it opens again', async () => {
    const { uc, store, heads, clock } = setup();
    await uc.execute([cmd()]);
    const write = store.writeSummary.bind(store);
    let release = () => undefined as void;
    store.writeSummary = async (...a) => {
      await new Promise<void>((r) => (release = r));
      return write(...a);
    };
    clock.t = 5000;
    const closing = heads.flush(); // the quiet room's last write, held on the way to the store
    await new Promise((r) => setImmediate(r));
    heads.forgetAll(); // the consumer's channel reopened
    store.writeSummary = write;
    const sending = uc.execute([cmd()]); // read again; its tail is opened after the close, in the room's order
    await new Promise((r) => setImmediate(r));
    release();
    await closing;
    const { events } = await sending;
    expect(events[0]!.message.seq).toBe(2);
    // the old close carried the old token: the tail over seq 2 stays open for readers
    expect(store.rooms.get(ROOM)).toMatchObject({ tailOpen: 'w1#1' });
    expect(store.tail(ROOM, store.rooms.get(ROOM)!.lastSeq).map((d) => d.seq)).toContain(2);
  });

  it('keeps the tail open while a failed batch may have stored messages it never committed', async () => {
    const { uc, store, heads, clock } = setup();
    store.failNextInsert = { stored: 2 };
    await expect(uc.execute([cmd(), cmd(), cmd()])).rejects.toThrow('connection closed');
    clock.t = 60_000; // quiet long past the interval: a committed room would be written and closed
    await heads.flush();
    expect(store.rooms.get(ROOM)!.tailOpen).toBe('w1'); // seqs 1 and 2 are stored; only the tail shows them
    // the batch is dead-lettered, never retried: the next message collides, the room is read again
    await expect(uc.execute([cmd()])).rejects.toThrow(/seq collision/);
    const { events } = await uc.execute([cmd()]);
    expect(events[0]!.message.seq).toBe(3);
  });

  it('stops waiting for a store call that never answers, so the room is not held for good', async () => {
    const store = new MemoryRooms();
    store.addRoom(ROOM);
    const heads = new RoomHeads(store, { owner: 'w1', flushMs: 1000, idleMs: 500, writeTimeoutMs: 50 });
    const uc = new Storing(store, heads);
    const open = store.openTail.bind(store);
    store.openTail = () => new Promise<boolean>(() => undefined); // a call the driver left hanging
    await expect(uc.execute([cmd()])).rejects.toThrow(StoreTimeoutError);
    store.openTail = open;
    const { events } = await uc.execute([cmd()]);
    expect(events[0]!.message.seq).toBe(1);
    // opened again under a new token: a late answer to the lost call cannot be mistaken for this one
    expect(store.rooms.get(ROOM)!.tailOpen).toBe('w1#1');
  });

  it('writes and closes a tail a dead owner left open', async () => {
    const { uc, store } = setup();
    await uc.execute([cmd(), cmd()]);
    const next = worker(store, 'w2');
    expect(await next.heads.lastSeqOf(ROOM)).toBe(2);
    next.clock.t = 5000;
    await next.heads.flush();
    // with what the dead owner had not written: the last message and each sender's last seq (sync and
    // unread counts trust lastSeqBy once the tail is closed)
    expect(store.rooms.get(ROOM)).toMatchObject({ lastSeq: 2, tailOpen: null, lastMessage: { seq: 2 }, lastSeqBy: { [A]: 2 } });
  });

  it('writes every summary and closes every tail on stop, and never closes a tail another owner opened since', async () => {
    const { uc, store, heads } = setup();
    await uc.execute([cmd()]);
    const other = worker(store, 'w2');
    await other.uc.execute([cmd()]);
    await heads.flush(true);
    // w1's view was stale (w2 stored seq 2): nothing written, w2's tail stays open
    expect(store.rooms.get(ROOM)).toMatchObject({ lastSeq: 0, tailOpen: 'w2' });
    await other.heads.flush(true);
    expect(store.rooms.get(ROOM)).toMatchObject({ lastSeq: 2, tailOpen: null });
  });

  it('refuses what the gate refuses (the receiver blocks the sender): no seq, not stored, the sender told', async () => {
    const store = new MemoryRooms();
    store.addRoom(ROOM);
    const heads = new RoomHeads(store, { owner: 'w1', flushMs: 1000, idleMs: 500, now: () => 0 });
    const [ok, blocked] = [cmd(), cmd(ROOM, undefined, B)];
    const gate = { refusals: async () => new Map([[blocked.message.id, { code: 'BLOCKED' as const, message: 'no' }]]) };
    const { events } = await new StoreMessagesUseCase(store, heads, gate).execute([blocked, ok]);
    expect(events[0]).toEqual({
      type: 'message.refused.v1',
      correlationId: blocked.correlationId,
      messageId: blocked.message.id,
      roomId: ROOM,
      senderId: B,
      clientMsgId: null,
      error: { code: 'BLOCKED', message: 'no' },
    });
    expect((events[1] as MessagePersistedEvent).message.seq).toBe(1);
    expect([...store.docs.keys()]).toEqual([ok.message.id]);
  });
});
