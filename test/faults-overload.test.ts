/**
 * Overload: senders offer more than the store can take, each as fast as it is answered (an app that
 * retries). The edges must refuse with BUSY while the store is behind rather than acknowledge minutes of
 * work: what is acknowledged reaches its receiver within seconds, and once the load stops everything
 * acknowledged arrives, once, in order. Without the admission check (ADMISSION_MAX_LAG_MS and
 * ADMISSION_MAX_QUEUED set out of reach) nothing is refused and the delivery lag grows for as long as the
 * load lasts.
 */
import { TestStack } from './support/harness';
import { LoadUser } from './support/load-client';
import { sumTallies, tally, webhookTally } from './support/tally';

const PAIRS = Number(process.env.OVERLOAD_PAIRS ?? 60);
const SECONDS = Number(process.env.OVERLOAD_SECONDS ?? 60);
/** Far above what admission lets through (2 s of lag): a hang or an unbounded queue, not a slow machine. */
const LAG_BOUND_MS = 20_000;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('overload', () => {
  // the store is made slow on purpose: batches of 5 and inserts that wait 100 ms for company cap storing near
  // 8 partitions x 5 / 0.1 s = 400 messages/s, so the edges can take more than it stores on any machine
  const t = new TestStack({
    workers: 1,
    // webhooks (and push) on: the zeros hold with them, and every stored message is told
    outbound: true,
    env: {
      RATE_WRITES_PER_USER: '1000000',
      RATE_CONNECTS_PER_IP: '100000',
      ADMISSION_MAX_LAG_MS: '2000',
      BATCH_MAX: '5',
      INSERT_LINGER_MS: '100',
    },
  });
  beforeAll(() => t.start(), 180_000);
  afterAll(() => t.stop(), 60_000);

  it(`refuses with BUSY while the store is behind, keeps the delivery lag bounded and loses nothing (${PAIRS} senders as fast as answered, ${SECONDS} s)`, async () => {
    const urls = t.stack.edgeUrls;
    const pairs = await Promise.all(Array.from({ length: PAIRS }, () => t.pair()));
    const senders = pairs.map((p, i) => new LoadUser(urls, p.ta, i));
    const receivers = pairs.map((p, i) => new LoadUser(urls, p.tb, i + 1));
    await Promise.all([...senders, ...receivers].map((u) => u.connect()));

    // when each message was acknowledged, and when it was first shown: the delivery lag of what was taken
    const ackedAt = new Map<string, number>();
    const lags: number[] = [];
    receivers.forEach((r) => {
      const push = r.events.push.bind(r.events);
      r.events.push = (...ms) => {
        for (const m of ms) {
          const at = ackedAt.get(m.id);
          if (at !== undefined) {
            lags.push(Date.now() - at);
            ackedAt.delete(m.id);
          }
        }
        return push(...ms);
      };
    });
    const start = Date.now();
    await Promise.all(
      pairs.map(async ({ b, roomId }, i) => {
        for (let n = 0; Date.now() - start < SECONDS * 1000; n++) {
          const m = await senders[i].send({ receiverId: b, roomId, content: `o${n}`, clientMsgId: `o${n}` });
          ackedAt.set(m.id, Date.now());
        }
      }),
    );
    const loadSeconds = (Date.now() - start) / 1000;
    const acked = senders.reduce((n, s) => n + s.acked.length, 0);
    const busy = senders.reduce((n, s) => n + s.busy, 0);

    // a hang deadline only: everything acknowledged must arrive
    const deadline = Date.now() + 120_000;
    const allSeen = () => pairs.every((_, i) => senders[i].acked.every((m) => receivers[i].events.some((e) => e.id === m.id)));
    while (Date.now() < deadline && !allSeen()) await sleep(500);
    const drainSeconds = (Date.now() - start) / 1000 - loadSeconds;

    const storedIds: string[] = [];
    const rows = await Promise.all(
      pairs.map(async (p, i) => {
        const stored = await t.storedMessages(p.roomId, p.ta);
        storedIds.push(...stored.map((m) => m.id));
        return tally(
          senders[i].acked,
          stored,
          receivers[i].events.filter((m) => m.roomId === p.roomId),
        );
      }),
    );
    const all = sumTallies(rows);
    const hookDeadline = Date.now() + 60_000;
    while (Date.now() < hookDeadline && webhookTally(storedIds, t.webhooks.events()).lost > 0) await sleep(500);
    const hooks = webhookTally(storedIds, t.webhooks.events());
    lags.sort((x, y) => x - y);
    const p99 = lags[Math.floor(lags.length * 0.99)] ?? 0;
    process.stdout.write(
      `\n[overload] acknowledged ${acked} in ${loadSeconds.toFixed(0)} s (${(acked / loadSeconds).toFixed(0)}/s); refused with BUSY ${busy}; ` +
        `delivery lag p50 ${lags[Math.floor(lags.length / 2)] ?? 0} ms, p99 ${p99} ms, max ${lags[lags.length - 1] ?? 0} ms; the rest arrived ${drainSeconds.toFixed(1)} s after the load; ${JSON.stringify(all)}; webhooks ${JSON.stringify(hooks)}\n`,
    );
    [...senders, ...receivers].forEach((u) => u.close());

    expect(busy).toBeGreaterThan(0);
    expect({ lost: all.lost, duplicates: all.duplicates, order: all.order }).toEqual({ lost: 0, duplicates: 0, order: 0 });
    expect(all.stored).toBe(acked);
    expect({ webhooksLost: hooks.lost, webhookIdConflicts: hooks.idConflicts }).toEqual({ webhooksLost: 0, webhookIdConflicts: 0 });
    expect(p99).toBeLessThan(LAG_BOUND_MS);
  }, 600_000);
});
