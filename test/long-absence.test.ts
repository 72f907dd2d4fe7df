import type { MessageView } from '@chat/contracts';
import { eventually, TestStack } from './support/harness';

/**
 * A user away long enough to miss more of a room than one sync reads (`SYNC_LIMIT_PER_ROOM`, 5,000 by
 * default; 40 here) gets all of it on reconnect, in order, once, also while the room keeps going: the
 * sync pages through the room instead of handing over the first page and then the live messages after it.
 */
describe('reconnecting after more messages than one sync reads', () => {
  const t = new TestStack({ env: { SYNC_LIMIT_PER_ROOM: '40' } });
  beforeAll(() => t.start(), 120_000);
  afterAll(() => t.stop(), 60_000);

  it('delivers every missed message and the live ones after them, in order, once', async () => {
    const { b, ta, tb, roomId } = await t.pair();
    const alice = await t.connect(ta, 0);
    const acked: MessageView[] = [];
    for (let i = 0; i < 130; i++) {
      const r = await alice.request('send_message', { receiverId: b, roomId, content: `away ${i}`, clientMsgId: `a-${i}` });
      expect(r.ok).toBe(true);
      acked.push(r.message);
    }
    // every one stored before bob comes back (the sync reads the store)
    await eventually(async () => (await t.http('GET', `/chat/messages/${roomId}?limit=1`, { token: ta })).body.messages?.[0]?.seq >= 130, 'all 130 stored');

    const bob = await t.connect(tb, 1);
    // the room goes on while bob catches up
    for (let i = 0; i < 30; i++) {
      const r = await alice.request('send_message', { receiverId: b, roomId, content: `live ${i}`, clientMsgId: `l-${i}` });
      expect(r.ok).toBe(true);
      acked.push(r.message);
    }
    await bob.expectReceivedInOrder(acked);
  }, 120_000);
});
