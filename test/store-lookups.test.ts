/**
 * Lookups by equality (a message by _id, a room's messages by roomId) must be served by an index, or every
 * persistence batch and catch-up gets slower as the collection grows. On MongoDB the models' indexes do it;
 * on FerretDB v1 (the local stand-in) its filters are `(_jsonb -> 'field') @> value`, which only the GIN
 * indexes that tools/stack adds (LOOKUP_INDEXES_SQL) can serve. This checks the plan either store makes.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { Types } from 'mongoose';
import { Client } from 'pg';
import { createModels, openStore, type Models, type StoreConnection } from '@chat/store';

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
    ({ db, models } = await openStore(url.toString(), 'store-lookups-test', { warn: () => undefined }, (_w, _h, check) => check().then(() => undefined)));
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
        const table = (await pg.query(`select tablename from pg_tables where schemaname = $1 and tablename like 'messages%'`, [dbName])).rows[0].tablename as string;
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

  it('reads back what it looked up', async () => {
    const docs = await models.Message.find({ roomId: rooms[5] }).batchSize(1000).lean();
    expect(docs).toHaveLength(150);
  });
});
