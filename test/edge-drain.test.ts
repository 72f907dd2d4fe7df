import { eventually, TestStack } from './support/harness';
import { LoadUser } from './support/load-client';
import { tally, type Tally } from './support/tally';

const PAIRS = 250;
const WINDOW_MS = 10_000;

/**
 * A stopping edge sends its sockets elsewhere spread over DRAIN_WINDOW_MS, not all in the same second: 500
 * sockets on one of two edges, a message every 2 s from each sender, SIGTERM that edge.
 */
describe('an edge drains on SIGTERM', () => {
  const t = new TestStack({ env: { DRAIN_WINDOW_MS: String(WINDOW_MS) } });
  beforeAll(() => t.start(), 120_000);
  afterAll(() => t.stop(), 60_000);

  it('spreads the reconnects over the window; nothing lost, repeated or reordered', async () => {
    const urls = t.stack.edgeUrls;
    const pairs = [];
    for (let i = 0; i < PAIRS; i += 25) pairs.push(...(await Promise.all(Array.from({ length: Math.min(25, PAIRS - i) }, () => t.pair()))));
    const senders = pairs.map((p) => new LoadUser(urls, p.ta, 0));
    const receivers = pairs.map((p) => new LoadUser(urls, p.tb, 0));
    let stop = false;
    let sending: Array<Promise<void>> = [];
    try {
      for (let i = 0; i < PAIRS; i += 50)
        await Promise.all([...senders.slice(i, i + 50), ...receivers.slice(i, i + 50)].map((u) => u.connect()));

      sending = pairs.map(async (p, i) => {
        await new Promise((r) => setTimeout(r, Math.random() * 2000));
        for (let n = 0; !stop; n++) {
          await senders[i].send({ receiverId: p.b, roomId: p.roomId, content: `d${n}`, clientMsgId: `d${i}-${n}` });
          await new Promise((r) => setTimeout(r, 2000));
        }
      });
      await new Promise((r) => setTimeout(r, 4000));
      const termAt = Date.now();
      const exit = t.stack.kill('edge-1', 'SIGTERM');
      await eventually(
        () => [...senders, ...receivers].every((u) => u.drainedAt.length > 0 || u.edge === 1),
        'every socket moved to the other edge',
        WINDOW_MS + 20_000,
      );
      expect(await exit).toBe(0);
      await t.stack.restart('edge-1'); // the deploy brings it back
      await new Promise((r) => setTimeout(r, 3000));
      stop = true;
      await Promise.all(sending);

      // the clients left when told: spread over the window, no more than 15% of them in any tenth of it
      const left = [...senders, ...receivers].flatMap((u) => u.drainedAt.map((at) => at - termAt));
      expect(left.length).toBe(2 * PAIRS);
      const tenths = Array.from({ length: 10 }, (_, k) => left.filter((ms) => Math.floor(ms / (WINDOW_MS / 10)) === k).length);
      expect(Math.max(...tenths)).toBeLessThanOrEqual(0.15 * left.length);
      expect(left.every((ms) => ms >= 0 && ms <= WINDOW_MS + 1000)).toBe(true);

      // every acknowledged message stored once, shown once, in the order sent
      const counts: Tally[] = [];
      for (let i = 0; i < PAIRS; i++) {
        const acked = senders[i].acked;
        await eventually(
          () => new Set(receivers[i].events.map((m) => m.id)).size >= acked.length,
          `pair ${i}: every acknowledged message shown`,
          30_000,
        ).catch(() => undefined);
        counts.push(tally(acked, await t.storedMessages(pairs[i].roomId, pairs[i].ta), receivers[i].events));
      }
      const sum = counts.reduce(
        (a, c) => ({ acked: a.acked + c.acked, lost: a.lost + c.lost, duplicates: a.duplicates + c.duplicates, order: a.order + c.order }),
        { acked: 0, lost: 0, duplicates: 0, order: 0 },
      );
      process.stdout.write(`\n[edge-drain] ${JSON.stringify({ ...sum, tenths })}\n`);
      // the drain met traffic: messages were sent while the sockets were moving
      const during = senders
        .flatMap((u) => u.acked)
        .filter((m) => Date.parse(m.createdAt) >= termAt && Date.parse(m.createdAt) <= termAt + WINDOW_MS).length;
      process.stdout.write(`[edge-drain] acknowledged during the window: ${during}\n`);
      expect(during).toBeGreaterThan(0);
      expect({ lost: sum.lost, duplicates: sum.duplicates, order: sum.order }).toEqual({ lost: 0, duplicates: 0, order: 0 });
    } finally {
      stop = true;
      for (const u of [...senders, ...receivers]) u.close();
      await Promise.allSettled(sending);
    }
  }, 180_000);
});
