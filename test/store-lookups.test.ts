/**
 * Lookups by equality (a message by _id, a room's messages by roomId) must be served by an index, or every
 * persistence batch and catch-up gets slower as the collection grows. On MongoDB the models' indexes do it;
 * on FerretDB v1 (the local stand-in) its filters are `(_jsonb -> 'field') @> value`, which only the GIN
 * indexes that tools/stack adds (LOOKUP_INDEXES_SQL) can serve. This checks the plan either store makes.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { Types } from 'mongoose';
import { Client } from 'pg';
import {
  backfillMessageBuckets,
  bucketOf,
  createModels,
  MessageStore,
  openStore,
  type Models,
  type RoomScope,
  type StoreConnection,
} from '@chat/store';

const hex = () => randomBytes(12).toString('hex');

describe('store lookups use an index', () => {
  let db: StoreConnection;
  let models: Models;
  let dbName: string;
  const rooms = Array.from({ length: 20 }, hex);

  beforeAll(async () => {
    const url = new URL(process.env.TEST_MONGO_URL!);
    dbName = `t${randomBytes(4).toString('hex')}`;
    url.pathname = `/${dbName}`;
    ({ db, models } = await openStore(url.toString(), 'store-lookups-test', { warn: () => undefined }, (_w, _h, check) =>
      check().then(() => undefined),
    ));
    const at = new Date();
    const docs = rooms.flatMap((roomId) =>
      Array.from({ length: 150 }, (_, i) => ({
        _id: new Types.ObjectId(),
        roomId,
        senderId: hex(),
        receiverId: hex(),
        content: `message ${i}`,
        clientMsgId: randomUUID(),
        seq: i + 1,
        createdAt: at,
      })),
    );
    // stored as a version without read buckets stored them: the persistence worker's start gives them theirs
    await createModels(db).Message.insertMany(docs, { lean: true });
    expect(await backfillMessageBuckets(models)).toBe(docs.length);
    expect(await backfillMessageBuckets(models)).toBe(0); // once per store
  }, 60_000);
  afterAll(async () => {
    await db.dropDatabase().catch(() => undefined);
    await db.close();
  });

  if (process.env.TEST_INFRA_MODE === 'local') {
    it('FerretDB: PostgreSQL answers its _id and roomId filters from an index, planned for the values', async () => {
      const pg = new Client({ connectionString: process.env.TEST_POSTGRES_URL ?? 'postgres://postgres@127.0.0.1:5432/chat_test' });
      await pg.connect();
      try {
        expect((await pg.query('show plan_cache_mode')).rows[0].plan_cache_mode).toBe('force_custom_plan');
        const table = (await pg.query(`select tablename from pg_tables where schemaname = $1 and tablename like 'messages%'`, [dbName]))
          .rows[0].tablename as string;
        await pg.query(`analyze "${dbName}"."${table}"`);
        const one = await models.Message.findOne({ roomId: rooms[3] }).lean();
        // the statement exactly as FerretDB sends it: the field name is a parameter too
        await pg.query(`prepare lookup(text, jsonb) as select _jsonb from "${dbName}"."${table}" where _jsonb -> $1 @> $2`);
        for (const [field, value] of [
          ['_id', JSON.stringify(String(one!._id))],
          ['roomId', JSON.stringify(rooms[3])],
          ['rb', JSON.stringify(bucketOf(rooms[3], 120))],
        ]) {
          const args = `${pg.escapeLiteral(field)}, ${pg.escapeLiteral(value)}::jsonb`;
          for (let i = 0; i < 6; i++) await pg.query(`execute lookup(${args})`); // past the point a generic plan would be chosen
          const plan = (await pg.query(`explain execute lookup(${args})`)).rows.map((r) => r['QUERY PLAN']).join('\n');
          expect(plan).toMatch(/Index Scan/);
          expect(plan).not.toMatch(/Seq Scan/);
        }
      } finally {
        await pg.end();
      }
    });
  } else {
    it('MongoDB: finds by _id and by roomId use an index', async () => {
      const one = await models.Message.findOne({ roomId: rooms[3] }).lean();
      for (const filter of [{ _id: one!._id }, { roomId: rooms[3] }, { rb: bucketOf(rooms[3], 120) }]) {
        const explained = JSON.stringify(await models.Message.find(filter).explain());
        expect(explained).toMatch(/IXSCAN|IDHACK|EXPRESS_IXSCAN/);
      }
    });
  }

  it('the services’ lookups on those indexes answer with what is stored: by _id, a room’s page, a catch-up', async () => {
    const store = new MessageStore(models);
    const all = await models.Message.find({ roomId: rooms[5] }).sort({ seq: 1 }).lean();
    const wanted = [all[0], all[77], all[149]].map((d) => String(d._id));
    // persistence's redelivery check: one _id lookup each; an unknown id is simply absent
    const found = await store.findByIds([...wanted, new Types.ObjectId().toString(), 'not-an-id']);
    expect(found.map((d) => String(d._id)).sort()).toEqual([...wanted].sort());
    // a scope as ConversationStore hands it out (the store checks membership; here the room is ours)
    const scopeOf = (userId: string) =>
      ({ roomId: rooms[5], userId, participants: [], kind: 'direct', fromSeq: 0 }) as unknown as RoomScope;
    const scope = scopeOf(all[0].receiverId);
    // the history API's pages, oldest first after a seq and newest first before one
    const after = await store.history(scope, { after: 100, limit: 30 });
    expect({ seqs: after.messages.map((m) => m.seq), hasMore: after.hasMore }).toEqual({
      seqs: Array.from({ length: 30 }, (_, i) => 101 + i),
      hasMore: true,
    });
    const before = await store.history(scope, { before: 4, limit: 30 });
    expect({ seqs: before.messages.map((m) => m.seq), hasMore: before.hasMore }).toEqual({ seqs: [3, 2, 1], hasMore: false });
    // a reconnect's catch-up: what others sent after the device's seq, in order (the user's own message left out)
    const incoming = await store.latestIncoming(scope, 140, 100);
    expect(incoming.map((m) => m.seq)).toEqual(Array.from({ length: 10 }, (_, i) => 141 + i));
    const fromOthers = await store.latestIncoming(scopeOf(all[144].senderId), 140, 100);
    expect(fromOthers.map((m) => m.seq)).toEqual([141, 142, 143, 144, 146, 147, 148, 149, 150]);
  });

  it('a room read by bucket: past a stale summary, across a hole of whole buckets, newest first and oldest first', async () => {
    const store = new MessageStore(models);
    const roomId = hex();
    const [me, other] = [hex(), hex()];
    const at = new Date();
    // seqs 1-150, then 400-420: 151-399 went to edits and deletes (they take seqs and store no message)
    const seqs = [...Array.from({ length: 150 }, (_, i) => i + 1), ...Array.from({ length: 21 }, (_, i) => 400 + i)];
    await store.insertIdempotent(
      seqs.map((seq) => ({
        id: new Types.ObjectId().toString(),
        roomId,
        seq,
        senderId: seq % 10 === 0 ? me : other,
        receiverId: seq % 10 === 0 ? other : me,
        content: `m${seq}`,
        clientMsgId: null,
        createdAt: at,
        editedAt: null,
        deletedAt: null,
      })),
    );
    const scope = { roomId, userId: me, participants: [], kind: 'direct', fromSeq: 0 } as unknown as RoomScope;
    // the room's summary as its persistence worker writes it: its last seq, and whether its tail is open
    const summary = async (lastSeq: number, tailOpen: string | null) =>
      models.Conversation.collection.updateOne({ _id: new Types.ObjectId(roomId) }, { $set: { lastSeq, tailOpen } }, { upsert: true });
    const newest = [...Array.from({ length: 21 }, (_, i) => 420 - i), ...Array.from({ length: 9 }, (_, i) => 150 - i)];
    // the summary knows the room's end, or is behind it with the owner's tail open: the newest page is the same
    for (const [top, tail] of [
      [420, null],
      [405, 'persistence-1'],
      [399, 'persistence-1'],
    ] as const) {
      await summary(top, tail);
      const page = await store.history(scope, { limit: 30 });
      expect({ top, seqs: page.messages.map((m) => m.seq), hasMore: page.hasMore }).toEqual({ top, seqs: newest, hasMore: true });
    }
    const older = await store.history(scope, { before: 400, limit: 3 });
    expect(older.messages.map((m) => m.seq)).toEqual([150, 149, 148]);
    // a catch-up from before the hole: everything others sent, in order, across it
    const fromOthers = seqs.filter((s) => s > 145 && s % 10 !== 0);
    const incoming = await store.latestIncoming(scope, 145, 100);
    expect(incoming.map((m) => m.seq)).toEqual(fromOthers);
    expect(await store.countIncomingSince(scope, 145)).toBe(incoming.length);
    // more than the limit: the newest, oldest first, read back across the hole
    expect((await store.latestIncoming(scope, 145, 20)).map((m) => m.seq)).toEqual(fromOthers.slice(-20));
    // where the caller read that the room ends (the sync, the unread counts): the read stops there
    const upto405 = seqs.filter((s) => s > 145 && s <= 405 && s % 10 !== 0);
    expect(await store.countIncomingSince(scope, 145, 405)).toBe(upto405.length);
    expect((await store.latestIncoming(scope, 145, 100, 405)).map((m) => m.seq)).toEqual(upto405);
    expect((await store.latestIncoming(scope, 145, 3, 405)).map((m) => m.seq)).toEqual([403, 404, 405]);
    // a summary without an open tail is where the room ends
    await summary(405, null);
    expect((await store.history(scope, { limit: 3 })).messages.map((m) => m.seq)).toEqual([405, 404, 403]);
    const senders = await store.sendersBetween(roomId, 140, 402, 5);
    expect(senders.map((s) => [s.seq, s.senderId === me])).toEqual([
      [402, false],
      [401, false],
      [400, true],
      [150, true],
      [149, false],
    ]);
  });
});
