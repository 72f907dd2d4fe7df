import type { MessageView, SyncGap } from '@chat/contracts';
import { eventually, TestClient, TestStack } from './support/harness';

/**
 * A device away for more of a room than one sync hands over (`SYNC_LIMIT_PER_ROOM`, 5,000 by default; 40
 * here) gets the newest 40 and `sync_gap` for the rest, backfills it through the history API with `after`,
 * and then has every message once, in order, also while the room keeps going.
 */
describe('a sync gap and its backfill', () => {
  const t = new TestStack({ env: { SYNC_LIMIT_PER_ROOM: '40' } });
  beforeAll(() => t.start(), 120_000);
  afterAll(() => t.stop(), 60_000);

  it('names the missed seqs it does not send, and the backfill completes the room', async () => {
    const { b, ta, tb, roomId } = await t.pair();
    const alice = await t.connect(ta, 0);
    const acked: MessageView[] = [];
    for (let i = 0; i < 130; i++) {
      const r = await alice.request('send_message', { receiverId: b, roomId, content: `away ${i}`, clientMsgId: `a-${i}` });
      expect(r.ok).toBe(true);
      acked.push(r.message);
    }
    await eventually(
      async () => (await t.http('GET', `/chat/messages/${roomId}?limit=1`, { token: ta })).body.messages?.[0]?.seq >= 130,
      'all 130 stored',
    );

    // listening before the socket connects: the gap is emitted with the connect-time sync
    const bob = new TestClient(`${t.edge(1)}/chat`, tb, true);
    const gaps: SyncGap[] = [];
    bob.socket.on('sync_gap', (g: SyncGap) => gaps.push(g));
    try {
      await bob.connected();
      for (let i = 0; i < 30; i++) {
        const r = await alice.request('send_message', { receiverId: b, roomId, content: `live ${i}`, clientMsgId: `l-${i}` });
        expect(r.ok).toBe(true);
        acked.push(r.message);
      }
      await bob.waitFor(() => bob.received.some((m) => m.id === acked[acked.length - 1].id), 'the last live message');
      // one gap, from the start to just before the newest 40 the sync read (live sends stored before the
      // read count among them): at least the 90 oldest of the 130 missed
      expect(gaps).toEqual([{ roomId, fromSeq: 1, toSeq: expect.any(Number) }]);
      const { toSeq } = gaps[0];
      expect(toSeq).toBeGreaterThanOrEqual(90);
      // the socket got everything after the gap, in order, once
      expect(bob.received.map((m) => m.content)).toEqual(acked.slice(toSeq).map((m) => m.content));

      // the backfill: seqs fromSeq..toSeq, ascending, page by page
      const backfill: MessageView[] = [];
      let after = gaps[0].fromSeq - 1;
      for (;;) {
        const page = await t.http('GET', `/chat/messages/${roomId}?after=${after}&limit=25`, { token: tb });
        expect([page.status, page.body.order]).toEqual([200, 'asc']);
        const within = (page.body.messages as MessageView[]).filter((m) => m.seq! <= gaps[0].toSeq);
        backfill.push(...within);
        if (!page.body.hasMore || within.length < page.body.messages.length) break;
        after = page.body.messages[page.body.messages.length - 1].seq;
      }
      const all = [...backfill, ...bob.received].sort((x, y) => x.seq! - y.seq!);
      expect(new Set(all.map((m) => m.id)).size).toBe(all.length);
      expect(all.map((m) => m.content)).toEqual(acked.map((m) => m.content));
    } finally {
      bob.close();
    }
  }, 120_000);

  it('sends no gap when what the device lacks fits in one sync', async () => {
    const { b, ta, tb, roomId } = await t.pair();
    const alice = await t.connect(ta, 0);
    const acked: MessageView[] = [];
    for (let i = 0; i < 10; i++) acked.push((await alice.request('send_message', { receiverId: b, roomId, content: `s${i}` })).message);
    await eventually(async () => (await t.storedMessages(roomId, ta)).length === 10, 'stored');
    const bob = new TestClient(`${t.edge(1)}/chat`, tb, true);
    const gaps: SyncGap[] = [];
    bob.socket.on('sync_gap', (g: SyncGap) => gaps.push(g));
    try {
      await bob.connected();
      await bob.waitFor(() => bob.received.length === 10, 'all ten');
      // a later message, awaited: a gap would have come before it
      acked.push((await alice.request('send_message', { receiverId: b, roomId, content: 'after' })).message);
      await bob.waitFor(() => bob.received.length === 11, 'the later one');
      expect(gaps).toEqual([]);
      expect(bob.received.map((m) => m.content)).toEqual(acked.map((m) => m.content));
    } finally {
      bob.close();
    }
  }, 60_000);
});
