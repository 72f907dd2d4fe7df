/**
 * Lookups by equality (a message by _id, a room's messages by roomId) must be served by an index, or every
 * persistence batch and catch-up gets slower as the collection grows. On MongoDB the models' indexes do it;
 * on FerretDB v1 (the local stand-in) its filters are `(_jsonb -> 'field') @> value`, which only the GIN
 * indexes that tools/stack adds (LOOKUP_INDEXES_SQL) can serve. This checks the plan either store makes.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { Types } from 'mongoose';
import { Client } from 'pg';
import { createModels, MessageStore, openStore, type Models, type RoomScope, type StoreConnection } from '@chat/store';

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
    await createModels(db).Message.insertMany(docs, { lean: true });
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
      for (const filter of [{ _id: one!._id }, { roomId: rooms[3] }]) {
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
});
