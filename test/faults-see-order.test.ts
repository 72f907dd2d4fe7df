/**
 * The fault checks must be able to see a room out of order and a message shown twice, not only loss
 * (faults-see-loss.test.ts). Each case runs once with a deliberately unsafe setting, which the config
 * refuses in production, and shows the shared count (support/tally.ts) reports the harm; then with the
 * real setting, where it reports none.
 *
 * - Order: the store flaps (cut and restored every few hundred ms) while messages are sent one by one. With
 *   UNSAFE_REQUEUE_FAILED the persistence worker hands a failed batch back to the broker and goes on with
 *   the deliveries behind it, so later messages are stored first; the real worker retries the batch in place.
 * - Duplicates: the persisted events of messages the receiver already has are published again, as the
 *   broker does after a worker dies between its publish and its ack. With UNSAFE_GATE_REPEATS the edge's
 *   per-socket gate hands them to the receiver again; the real gate drops them.
 */
import * as amqp from 'amqplib';
import { partitionKey } from '@chat/broker';
import { DEFAULT_PARTITIONS, partitionOf, RoutingKeys, type MessageView } from '@chat/contracts';
import { stackBehindStoreRelay, TestStack } from './support/harness';
import { tally, type Tally } from './support/tally';
import { TcpProxy } from './support/tcp-proxy';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
type Send = { ok: boolean; message: MessageView };

async function sendFlapping(t: TestStack, store: TcpProxy, waitMs: number): Promise<Tally & { cuts: number; sendsDuringCuts: number }> {
  const { b, ta, tb, roomId } = await t.pair();
  const bob = await t.connect(tb, 1);
  const alice = await t.connect(ta, 0);
  const send = (i: number) =>
    alice.request<Send>('send_message', { receiverId: b, roomId, content: `o${i}`, clientMsgId: `o-${i}` }, 60_000);
  expect((await send(0)).ok).toBe(true);
  await bob.waitFor(() => bob.received.length === 1, 'the first message');

  let cut = false;
  let cuts = 0;
  let sendsDuringCuts = 0;
  let flapping = true;
  const flaps = (async () => {
    while (flapping) {
      store.cut();
      cut = true;
      cuts++;
      await sleep(350);
      store.restore();
      cut = false;
      await sleep(350);
    }
  })();
  const acks: Send[] = [];
  for (let i = 1; i <= 150; i++) {
    if (cut) sendsDuringCuts++;
    acks.push(await send(i));
    await sleep(25);
  }
  flapping = false;
  await flaps;
  store.restore();
  const acked = acks.filter((a) => a.ok).map((a) => a.message);
  await bob
    .waitFor(() => new Set(bob.received.map((m) => m.id)).size >= acked.length + 1, 'every message at the receiver', waitMs)
    .catch(() => undefined);
  const stored = await t.storedMessages(roomId, ta);
  return { ...tally(acked, stored, bob.received), cuts, sendsDuringCuts };
}

async function replayPersisted(t: TestStack): Promise<Tally> {
  const { b, ta, tb, roomId } = await t.pair();
  const bob = await t.connect(tb, 1);
  const alice = await t.connect(ta, 0);
  const send = (i: number) => alice.request<Send>('send_message', { receiverId: b, roomId, content: `d${i}`, clientMsgId: `d-${i}` });
  const acked: MessageView[] = [];
  for (let i = 0; i < 20; i++) acked.push((await send(i)).message);
  await bob.waitFor(() => bob.received.length >= 20, 'the 20 messages');

  // the broker's redelivery of their persisted events, as after a worker died before its ack
  const stored = await t.storedMessages(roomId, ta);
  const conn = await amqp.connect(process.env.TEST_RABBITMQ_URL!);
  const ch = await conn.createConfirmChannel();
  const key = partitionKey(RoutingKeys.messagePersisted, partitionOf(roomId, DEFAULT_PARTITIONS));
  for (const m of stored)
    ch.publish(
      `${t.namespace}.messages`,
      key,
      Buffer.from(JSON.stringify({ type: RoutingKeys.messagePersisted, correlationId: `replay-${m.id}`, message: m, replay: true })),
      { persistent: true },
    );
  await ch.waitForConfirms();
  await conn.close();
  // one more message through the same ordered partition: once it is shown, every replay before it was handled
  acked.push((await send(20)).message);
  await bob.waitFor(() => bob.received.some((m) => m.id === acked[20].id), 'the message after the replays');
  return tally(acked, await t.storedMessages(roomId, ta), bob.received);
}

describe('the fault checks can see reordering and duplicates', () => {
  describe.each<{ setting: string; label: string; env: Record<string, string>; unsafe: boolean }>([
    {
      setting: 'UNSAFE_REQUEUE_FAILED (a failed batch goes back behind later ones)',
      label: 'unsafe',
      env: { UNSAFE_REQUEUE_FAILED: 'true' },
      unsafe: true,
    },
    { setting: 'the real setting (a failed batch is retried in place)', label: 'safe', env: {}, unsafe: false },
  ])('order, with $setting', ({ label, env, unsafe }) => {
    // every send taken (no BUSY refusal while the store is cut): the more that meet the flapping, the more
    // a reordering can show
    const relay = stackBehindStoreRelay({
      workers: 1,
      env: { ...env, ADMISSION_MAX_LAG_MS: '3600000', ADMISSION_MAX_QUEUED: '100000000' },
      outbound: true,
    });

    it(
      unsafe
        ? 'stores a room out of send order while the store flaps, and the count shows it'
        : 'keeps the send order through the same flapping',
      async () => {
        // out of order, some messages never reach the receiver (its gate drops a seq below one it was handed)
        const r = await sendFlapping(relay.stack(), relay.store(), unsafe ? 15_000 : 120_000);
        process.stdout.write(`\n[faults-see-order] ${label}: ${JSON.stringify(r)}\n`);
        // the fault met the traffic: sends went out while the store was cut
        expect(r.sendsDuringCuts).toBeGreaterThan(0);
        if (unsafe) expect(r.order).toBeGreaterThan(0);
        else expect({ lost: r.lost, duplicates: r.duplicates, order: r.order }).toEqual({ lost: 0, duplicates: 0, order: 0 });
      },
      240_000,
    );
  });

  describe.each<{ setting: string; label: string; env: Record<string, string>; unsafe: boolean }>([
    {
      setting: 'UNSAFE_GATE_REPEATS (the socket gate lets repeats through)',
      label: 'unsafe',
      env: { UNSAFE_GATE_REPEATS: 'true' },
      unsafe: true,
    },
    { setting: 'the real gate', label: 'safe', env: {}, unsafe: false },
  ])('duplicates, with $setting', ({ label, env, unsafe }) => {
    let t: TestStack;
    beforeAll(async () => {
      t = await new TestStack({ workers: 1, env, outbound: true }).start();
    }, 120_000);
    afterAll(async () => {
      await t?.stop();
    }, 60_000);

    it(
      unsafe ? 'shows redelivered messages again, and the count shows it' : 'shows each message once although its delivery was replayed',
      async () => {
        const r = await replayPersisted(t);
        process.stdout.write(`\n[faults-see-order] duplicates ${label}: ${JSON.stringify(r)}\n`);
        if (unsafe) expect(r.duplicates).toBeGreaterThanOrEqual(20);
        else expect({ lost: r.lost, duplicates: r.duplicates, order: r.order }).toEqual({ lost: 0, duplicates: 0, order: 0 });
      },
      120_000,
    );
  });
});
