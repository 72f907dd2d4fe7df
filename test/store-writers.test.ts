/**
 * The store's single-writer caches against the real store: a worker that remembers what it wrote must
 * never move a cursor backwards or lose a move when the partition changed hands meanwhile. And the room
 * summaries the persistence worker writes behind: readers add the open tail, a new owner finds the true
 * last seq, a stale owner's writes change nothing.
 */
import { randomBytes } from 'node:crypto';
import {
  ConversationStore,
  CursorStore,
  GroupStore,
  MessageStore,
  openStore,
  type NewMessage,
  type StoreConnection,
  type Models,
} from '@chat/store';

const hex = () => randomBytes(12).toString('hex');

let db: StoreConnection;
let models: Models;
beforeAll(async () => {
  const url = new URL(process.env.TEST_MONGO_URL!);
  url.pathname = `/t${randomBytes(4).toString('hex')}`;
  ({ db, models } = await openStore(url.toString(), 'store-writers-test', { warn: () => undefined }, (_w, _h, check) =>
    check().then(() => undefined),
  ));
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
  it('a new cursor is stored with the fields its model gives it (written through the driver, not the model), and the seq each move left', async () => {
    const room = hex();
    const [u1, u2] = [hex(), hex()];
    const a = new CursorStore(models, { writerCacheSize: 100 });
    const at = new Date('2026-01-02T03:04:05.000Z');
    await a.advance(room, u1, 'delivered', 4, at);
    await a.advance(room, u2, 'read', 6, at);
    const stored = await models.Cursor.find({ roomId: room }).lean();
    const byUser = new Map(stored.map((c) => [c.userId, c]));
    expect(byUser.get(u1)).toEqual({
      _id: `${room}:${u1}`,
      roomId: room,
      userId: u1,
      deliveredSeq: 4,
      deliveredAt: at,
      deliveredFrom: 0,
      readSeq: 0,
      readAt: null,
    });
    expect(byUser.get(u2)).toEqual({
      _id: `${room}:${u2}`,
      roomId: room,
      userId: u2,
      deliveredSeq: 6,
      deliveredAt: at,
      deliveredFrom: 0,
      readSeq: 6,
      readAt: at,
      readFrom: 0,
    });
    // each move keeps the seq it moved from (a trace can then tell which messages its time is exact for)
    await a.advance(room, u1, 'delivered', 9, at);
    expect((await a.forUser(u1)).get(room)).toMatchObject({ deliveredSeq: 9, deliveredFrom: 4 });
  });
});

describe('room summaries written behind, and the open tail readers add (real store)', () => {
  const msg = (roomId: string, seq: number, senderId: string, receiverId: string, at = new Date()): NewMessage => ({
    id: hex(),
    roomId,
    seq,
    senderId,
    receiverId,
    content: `m${seq}`,
    createdAt: at,
  });

  it('readers see the messages past the summary while the tail is open: sync, room list, last message, a new owner', async () => {
    const rooms = new ConversationStore(models);
    const messages = new MessageStore(models);
    const [a, b] = [hex(), hex()];
    const room = String((await rooms.findOrCreatePair(a, b))._id);
    const quiet = String((await rooms.findOrCreatePair(a, hex()))._id);
    await messages.insertIdempotent([msg(quiet, 1, a, b, new Date(Date.now() - 60_000))]);
    await rooms.writeSummary(quiet, {
      lastSeq: 1,
      lastMessage: { id: hex(), senderId: a, seq: 1, content: 'old', deleted: false, createdAt: new Date(Date.now() - 60_000) },
      senders: new Map([[a, 1]]),
    });

    // the owner opens the tail, stores three messages, and has written no summary yet
    expect(await rooms.openTail(room, 'w1')).toBe(true);
    const stored = [msg(room, 1, a, b), msg(room, 2, b, a), msg(room, 3, a, b)];
    await messages.insertIdempotent(stored);
    expect((await rooms.get(room))!.lastSeq).toBe(0);

    expect((await rooms.roomsWithMessages(a)).find((r) => r.scope.roomId === room)).toMatchObject({ lastIncomingSeq: 2 });
    expect((await rooms.roomsWithMessages(b)).find((r) => r.scope.roomId === room)).toMatchObject({ lastIncomingSeq: 3 });
    const list = await rooms.listForUser(a, { limit: 1, offset: 0 });
    expect(list.map((c) => String(c._id))).toEqual([room]); // its tail made it the most recent
    expect(list[0]).toMatchObject({ lastSeq: 3, lastMessage: { id: stored[2].id, seq: 3 } });
    expect((await rooms.get(room, { withTail: true }))!.lastMessage).toMatchObject({ id: stored[2].id });
    expect(await rooms.loadHead(room)).toMatchObject({ lastSeq: 3, tailOpen: 'w1', lastMessage: { id: stored[2].id } });

    // the summary write closes the tail; the readers then see the same from the summary alone
    expect(
      await rooms.writeSummary(
        room,
        {
          lastSeq: 3,
          lastMessage: { id: stored[2].id, senderId: a, seq: 3, content: 'm3', deleted: false, createdAt: stored[2].createdAt },
          senders: new Map([
            [a, 3],
            [b, 2],
          ]),
        },
        'w1',
      ),
    ).toBe(true);
    const doc = (await rooms.get(room))!;
    expect(doc).toMatchObject({ lastSeq: 3, tailOpen: null, lastSeqBy: { [a]: 3, [b]: 2 } });
    expect((await rooms.roomsWithMessages(a)).find((r) => r.scope.roomId === room)).toMatchObject({ lastIncomingSeq: 2 });
  });

  it('a summary write never moves lastSeq back, and a tail is closed only by the owner holding it open', async () => {
    const rooms = new ConversationStore(models);
    const [a, b] = [hex(), hex()];
    const room = String((await rooms.findOrCreatePair(a, b))._id);
    await rooms.openTail(room, 'w1');
    expect(await rooms.writeSummary(room, { lastSeq: 5 })).toBe(true);
    expect(await rooms.writeSummary(room, { lastSeq: 4 })).toBe(false);
    await rooms.openTail(room, 'w2'); // a new owner took the room over
    expect(await rooms.writeSummary(room, { lastSeq: 6 }, 'w1')).toBe(false);
    expect(await rooms.get(room)).toMatchObject({ lastSeq: 5, tailOpen: 'w2' });
    expect(await rooms.writeSummary(room, { lastSeq: 6, lastChangeSeq: 6 }, 'w2')).toBe(true);
    expect(await rooms.get(room)).toMatchObject({ lastSeq: 6, lastChangeSeq: 6, tailOpen: null });
    expect((await rooms.roomsWithMessages(b)).find((r) => r.scope.roomId === room)).toMatchObject({ lastChangeSeq: 6 });
  });

  it('a room from before the record existed, and a group, fall back to the room’s last seq', async () => {
    const rooms = new ConversationStore(models);
    const [a, b, c] = [hex(), hex(), hex()];
    const old = String((await rooms.findOrCreatePair(a, b))._id);
    await models.Conversation.collection.updateOne({ _id: (await rooms.get(old))!._id }, { $unset: { sendersTracked: '', lastSeqBy: '' } });
    await rooms.writeSummary(old, { lastSeq: 1, senders: new Map([[a, 1]]) });
    expect((await rooms.roomsWithMessages(a)).find((r) => r.scope.roomId === old)).toMatchObject({ lastIncomingSeq: 1 });

    const groupId = hex();
    await new GroupStore(models).create(groupId, a, { name: 'g', participants: [a, b, c], admins: [a] }, new Date());
    await rooms.openTail(groupId, 'w1');
    await new MessageStore(models).insertIdempotent([msg(groupId, 1, a, groupId), msg(groupId, 2, a, groupId)]);
    expect((await rooms.roomsWithMessages(b)).find((r) => r.scope.roomId === groupId)).toMatchObject({ lastIncomingSeq: 2 });
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

  it('a room holds one message per seq: another id at a taken seq is refused, and the first stays', async () => {
    // the one-writer-per-room design's last guard, kept however the stand-in stores the index (docs/ferretdb.md)
    const store = new MessageStore(models);
    const room = hex();
    const [a, b] = [hex(), hex()];
    const first: NewMessage = { id: hex(), roomId: room, seq: 7, senderId: a, receiverId: b, content: 'first', createdAt: new Date() };
    const second: NewMessage = { ...first, id: hex(), content: 'second' };
    expect((await store.insertIdempotent([first])).size).toBe(0);
    expect([...(await store.insertIdempotent([second, { ...second, id: hex(), roomId: hex() }]))]).toEqual([second.id]);
    const stored = await models.Message.find({ roomId: room }).lean();
    expect(stored.map((d) => [String(d._id), d.seq, d.content])).toEqual([[first.id, 7, 'first']]);
  });
});
