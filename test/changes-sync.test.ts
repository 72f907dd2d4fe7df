import { Redis } from 'ioredis';
import type { MessageView } from '@chat/contracts';
import { deleteKeys } from '@chat/stack';
import { eventually, TestStack } from './support/harness';

/**
 * An edit or delete of a message a device already has reaches it even when its live event was lost: here
 * the device is away, fanout parks the events, and Redis loses them (a restart without persistence) before
 * the device comes back. The sync reads the changes from the store: each edit and delete takes a seq from
 * the room's counter, and the sync asks for the ones past what the device had.
 */
describe('edits and deletes made while a device was away', () => {
  const t = new TestStack();
  beforeAll(() => t.start(), 120_000);
  afterAll(() => t.stop(), 60_000);

  it('reach it on reconnect although Redis lost their parked copies', async () => {
    const { b, ta, tb, roomId } = await t.pair();
    const alice = await t.connect(ta, 0);
    const bob = await t.connect(tb, 1);
    const sent: MessageView[] = [];
    for (const i of [1, 2, 3])
      sent.push((await alice.request('send_message', { receiverId: b, roomId, content: `m${i}`, clientMsgId: `m-${i}` })).message);
    await bob.waitFor(() => bob.received.length === 3, 'three messages');
    // bob's device acknowledged them: the stored cursor says so
    await eventually(async () => {
      const page = await t.http('GET', `/chat/messages/${roomId}?limit=10`, { token: tb });
      return page.body.messages?.every((m: MessageView) => m.status === 'delivered');
    }, 'delivered receipts stored');
    bob.close();

    expect((await alice.request('edit_message', { messageId: sent[0].id, newContent: 'm1, edited' })).ok).toBe(true);
    expect((await alice.request('delete_message', { messageId: sent[1].id })).ok).toBe(true);
    // both parked for bob, then lost with Redis's data
    const redis = new Redis(process.env.TEST_REDIS_URL!);
    // each parked notice is a job under an id naming its event (the queue's own keys do not count)
    const parkedJobs = async () =>
      (await redis.keys(`${t.namespace}:bull:offline.${b}:*`)).filter((k) => /message_(edited|deleted)/.test(k));
    await eventually(async () => (await parkedJobs()).length >= 2, 'the changes parked');
    await deleteKeys(redis, `${t.namespace}:*`);
    redis.disconnect();

    const again = await t.connect(tb, 0);
    const seen: Array<[string, { messageId: string; content?: string }]> = [];
    for (const ev of ['message_edited', 'message_deleted'])
      again.socket.on(ev, (p: { messageId: string; content?: string }) => seen.push([ev, p]));
    const last = (id: string) => seen.filter(([, p]) => p.messageId === id).pop();
    await again
      .waitFor(() => last(sent[0].id) !== undefined && last(sent[1].id) !== undefined, 'the edit and the delete', 20_000)
      .catch(() => undefined);
    await new Promise((r) => setTimeout(r, 500));
    // once each, in the order they were made (a parked copy that outlived the loss is left out: the store's is as new)
    expect(seen.map(([ev, p]) => [ev, p.messageId, p.content])).toEqual([
      ['message_edited', sent[0].id, 'm1, edited'],
      ['message_deleted', sent[1].id, undefined],
    ]);
    // nothing it already had comes again
    expect(again.received).toEqual([]);
  }, 120_000);
});
