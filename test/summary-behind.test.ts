import { Redis } from 'ioredis';
import type { MessageView } from '@chat/contracts';
import { deleteKeys } from '@chat/stack';
import { connectStore, createModels } from '@chat/store';
import { eventually, TestStack } from './support/harness';
import { tally } from './support/tally';

/**
 * The persistence worker takes seqs from memory and writes each room's summary behind. Here it is
 * SIGKILLed after storing messages whose summary it never wrote (the flush interval is far away). Readers
 * must still see them (room list, unread counts, a fresh device's sync from the store alone, with Redis's
 * parked copies gone), and the next owner must continue the room's seqs after them: nothing lost, nothing
 * twice, the send order kept.
 */
describe('a persistence worker killed between its inserts and its summary write', () => {
  const t = new TestStack({ workers: 1, env: { SUMMARY_FLUSH_MS: '600000', SUMMARY_IDLE_MS: '600000' } });
  beforeAll(() => t.start(), 120_000);
  afterAll(() => t.stop(), 60_000);

  it('loses nothing: readers add the open tail, and the next owner continues after it', async () => {
    const { b, ta, tb, roomId } = await t.pair();
    const alice = await t.connect(ta, 0);
    const send = async (i: number) =>
      (await alice.request('send_message', { receiverId: b, roomId, content: `k${i}`, clientMsgId: `k-${i}` })).message as MessageView;
    const acked: MessageView[] = [];
    for (let i = 0; i < 30; i++) acked.push(await send(i));
    await alice.waitFor(() => alice.sent.length === 30, 'the 30 messages stored');

    const db = connectStore(new URL(`/${t.namespace}`, process.env.TEST_MONGO_URL).toString(), 'summary-behind-check');
    const models = createModels(db);
    const room = await models.Conversation.findById(roomId).lean();
    // the summary shows none of them; the tail is open
    expect(room).toMatchObject({ lastSeq: 0, tailOpen: expect.any(String) });

    await t.stack.kill('persistence-1', 'SIGKILL');
    // the parked copies go too: a fresh device must get everything from the store
    const redis = new Redis(process.env.TEST_REDIS_URL!);
    await eventually(async () => (await redis.keys(`${t.namespace}:bull:offline.${b}:*`)).length > 0, 'the messages parked for bob');
    await deleteKeys(redis, `${t.namespace}:bull:*`);
    redis.disconnect();

    const list = await t.http('GET', `/chat/conversations/${b}`, { token: tb });
    expect(list.body.conversations[0]).toMatchObject({ id: roomId, lastMessage: { id: acked[29].id } });
    const unread = await t.http('GET', `/chat/message/unread/${b}`, { token: tb });
    expect(unread.body).toMatchObject({ count: 30, byRoom: { [roomId]: 30 } });
    const bob = await t.connect(tb, 1);
    await bob.waitFor(() => bob.received.length >= 30, 'the 30 messages from the store');

    await t.stack.restart('persistence-1');
    for (let i = 30; i < 40; i++) acked.push(await send(i));
    await bob.waitFor(() => new Set(bob.received.map((m) => m.id)).size >= 40, 'the next 10 messages');
    const stored = await t.storedMessages(roomId, ta);
    expect(tally(acked, stored, bob.received)).toEqual({ acked: 40, stored: 40, seen: 40, lost: 0, duplicates: 0, order: 0 });
    expect(stored.map((m) => m.seq)).toEqual(Array.from({ length: 40 }, (_, i) => i + 1));
    await db.close();
  });
});
