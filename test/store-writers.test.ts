/**
 * The store's single-writer caches against the real store: a worker that remembers what it wrote must
 * never move a cursor backwards or lose a move when the partition changed hands meanwhile. And the room
 * update's record of each sender's last seq, which lets a sync skip a room where only the user wrote.
 */
import { randomBytes } from 'node:crypto';
import { ConversationStore, CursorStore, GroupStore, MessageStore, openStore, type NewMessage, type StoreConnection, type Models } from '@chat/store';

const hex = () => randomBytes(12).toString('hex');

let db: StoreConnection;
let models: Models;
beforeAll(async () => {
  const url = new URL(process.env.TEST_MONGO_URL!);
  url.pathname = `/t${randomBytes(4).toString('hex')}`;
  ({ db, models } = await openStore(url.toString(), 'store-writers-test', { warn: () => undefined }, (_w, _h, check) => check().then(() => undefined)));
});
afterAll(async () => {
  await db.dropDatabase().catch(() => undefined);
  await db.close();
});

describe('cursor writers (real store)', () => {
  it('a worker whose remembered cursor went stale (the partition moved and back) reads the truth and never goes back', async () => {
    const room = hex();
    const user = hex();
    const a = new CursorStore(models, { writerCacheSize: 100 });
    const b = new CursorStore(models, { writerCacheSize: 100 });
    const at = new Date();

    expect(await a.advance(room, user, 'delivered', 5, at)).toMatchObject({ from: 0, to: 5 });
    // the partition moves to b, which advances further
    expect(await b.advance(room, user, 'delivered', 8, at)).toMatchObject({ from: 5, to: 8 });
    // back on a, which still remembers 5: a receipt for 7 is older than the truth and must not move it
    expect(await a.advance(room, user, 'delivered', 7, at)).toMatchObject({ from: 8, to: 8 });
    expect((await a.forRoom(room)).get(user)).toMatchObject({ deliveredSeq: 8, readSeq: 0 });
    // and a newer one moves it from the truth
    expect(await a.advance(room, user, 'delivered', 10, at)).toMatchObject({ from: 8, to: 10 });
    // read implies delivered, also through the remembered path
    expect(await a.advance(room, user, 'read', 12, at)).toMatchObject({ from: 0, to: 12 });
    expect((await b.forRoom(room)).get(user)).toMatchObject({ deliveredSeq: 12, readSeq: 12 });
    // b's memory (8) is stale too: a delivered 11 changes nothing, a read 12 is a repeat
    expect(await b.advance(room, user, 'delivered', 11, at)).toMatchObject({ from: 12, to: 12 });
    expect(await b.advance(room, user, 'read', 12, at)).toMatchObject({ from: 12, to: 12 });
  });

  it('a repeated receipt is answered from memory without moving anything', async () => {
    const room = hex();
    const user = hex();
    const a = new CursorStore(models, { writerCacheSize: 100 });
    await a.advance(room, user, 'read', 3, new Date());
    const moves = await Promise.all([a.advance(room, user, 'delivered', 3, new Date()), a.advance(room, user, 'read', 2, new Date())]);
    expect(moves.map((m) => m.to - m.from)).toEqual([0, 0]);
    expect((await a.forUser(user)).get(room)).toMatchObject({ deliveredSeq: 3, readSeq: 3 });
  });
  it('a new cursor is stored with the fields its model gives it (written through the driver, not the model)', async () => {
    const room = hex();
    const [u1, u2] = [hex(), hex()];
    const a = new CursorStore(models, { writerCacheSize: 100 });
    const at = new Date('2026-01-02T03:04:05.000Z');
    await a.advance(room, u1, 'delivered', 4, at);
    await a.advance(room, u2, 'read', 6, at);
    const stored = await models.Cursor.find({ roomId: room }).lean();
    const byUser = new Map(stored.map((c) => [c.userId, c]));
    expect(byUser.get(u1)).toEqual({ _id: `${room}:${u1}`, roomId: room, userId: u1, deliveredSeq: 4, deliveredAt: at, readSeq: 0, readAt: null });
    expect(byUser.get(u2)).toEqual({ _id: `${room}:${u2}`, roomId: room, userId: u2, deliveredSeq: 6, deliveredAt: at, readSeq: 6, readAt: at });
  });
});

describe('the room update records each sender’s last seq (real store)', () => {
  const last = (senderId: string) => ({ id: hex(), senderId, seq: 0, content: 'x', deleted: false, createdAt: new Date() });

  it('a one-to-one room: each user learns the last seq of a message to them, whoever wrote last', async () => {
    const rooms = new ConversationStore(models);
    const [a, b] = [hex(), hex()];
    const room = String((await rooms.findOrCreatePair(a, b))._id);
    expect(await rooms.reserveSeqs(room, 3, last(a), 0, [a, b, a])).toBe(1);
    // the writer's remembered seq, as the persistence worker passes it; then only a writes
    expect(await rooms.reserveSeqs(room, 2, last(a), 3, [a, a])).toBe(4);
    const forA = (await rooms.roomsWithMessages(a)).find((r) => r.scope.roomId === room)!;
    const forB = (await rooms.roomsWithMessages(b)).find((r) => r.scope.roomId === room)!;
    expect((await rooms.get(room))!.lastSeq).toBe(5);
    expect(forA).toMatchObject({ lastIncomingSeq: 2 });
    expect(forB).toMatchObject({ lastIncomingSeq: 5 });
  });

  it('an edit or delete takes the room’s next seq and records it as the last change, the last message left alone', async () => {
    const rooms = new ConversationStore(models);
    const [a, b] = [hex(), hex()];
    const room = String((await rooms.findOrCreatePair(a, b))._id);
    const summary = last(a);
    await rooms.reserveSeqs(room, 2, summary, 0, [a, a]);
    expect((await rooms.roomsWithMessages(b)).find((r) => r.scope.roomId === room)).toMatchObject({ lastIncomingSeq: 2, lastChangeSeq: 0 });
    // with the remembered seq, then from a stale one (a read first)
    expect(await rooms.reserveChangeSeq(room, 2)).toBe(3);
    expect(await rooms.reserveChangeSeq(room, 1)).toBe(4);
    expect(await rooms.reserveSeqs(room, 1, summary, 4, [a])).toBe(5);
    const doc = (await rooms.get(room))!;
    expect(doc).toMatchObject({ lastSeq: 5, lastChangeSeq: 4 });
    expect(doc.lastMessage).toMatchObject({ id: summary.id, seq: 5 });
    expect((await rooms.roomsWithMessages(b)).find((r) => r.scope.roomId === room)).toMatchObject({ lastIncomingSeq: 5, lastChangeSeq: 4 });
    expect(await rooms.reserveChangeSeq(hex())).toBeNull();
  });

  it('a room from before the record existed, and a group, fall back to the room’s last seq', async () => {
    const rooms = new ConversationStore(models);
    const [a, b, c] = [hex(), hex(), hex()];
    const old = String((await rooms.findOrCreatePair(a, b))._id);
    await models.Conversation.collection.updateOne({ _id: (await rooms.get(old))!._id }, { $unset: { sendersTracked: '', lastSeqBy: '' } });
    await rooms.reserveSeqs(old, 1, last(a), 0, [a]);
    expect((await rooms.get(old))!.lastSeq).toBe(1);
    expect((await rooms.roomsWithMessages(a)).find((r) => r.scope.roomId === old)).toMatchObject({ lastIncomingSeq: 1 });

    const groupId = hex();
    await new GroupStore(models).create(groupId, a, { name: 'g', participants: [a, b, c], admins: [a] }, new Date());
    await rooms.reserveSeqs(groupId, 2, last(a), 0);
    expect((await rooms.get(groupId))!.lastSeq).toBe(2);
    expect((await rooms.roomsWithMessages(a)).find((r) => r.scope.roomId === groupId)).toMatchObject({ lastIncomingSeq: 2 });
  });
});

describe('messages by id (real store)', () => {
  it('a replayed batch larger than one round of lookups finds every stored message, and only those', async () => {
    // a persistence batch redelivered after a store outage asks for up to 200 ids at once
    const store = new MessageStore(models);
    const room = hex();
    const [a, b] = [hex(), hex()];
    const docs: NewMessage[] = Array.from({ length: 130 }, (_, i) => ({
      id: hex(),
      roomId: room,
      seq: i + 1,
      senderId: a,
      receiverId: b,
      content: `m${i}`,
      clientMsgId: `c${i}`,
      createdAt: new Date(),
      editedAt: null,
      deletedAt: null,
    }));
    expect((await store.insertIdempotent(docs)).size).toBe(0);
    // the replay collides on every id
    expect((await store.insertIdempotent(docs)).size).toBe(130);

    const asked = [...docs.map((d) => d.id), hex(), 'not-an-id', docs[0].id, docs[129].id];
    const found = await store.findByIds(asked);
    expect(found).toHaveLength(130);
    const seqById = new Map(found.map((d) => [String(d._id), d.seq]));
    expect(docs.every((d) => seqById.get(d.id) === d.seq)).toBe(true);
    expect(await store.findByIds([])).toEqual([]);
  });
});
