/**
 * The fault checks must be able to see loss. With UNSAFE_ACK_BEFORE_WRITE the persistence worker acks each
 * command as it arrives, before storing it. Here the store is unreachable while messages are sent, so the
 * worker holds them (retrying the write); then it is SIGKILLed. The same count the fault suites use
 * (acknowledged to the sender, then stored) must report those messages lost, and report none lost with
 * the real setting, where the unacked commands return to the queue.
 */
import amqp from 'amqplib';
import { partitionOf, DEFAULT_PARTITIONS, type MessageView } from '@chat/contracts';
import { eventually, stackBehindStoreRelay, type TestStack } from './support/harness';
import { tally, type Tally } from './support/tally';
import { TcpProxy } from './support/tcp-proxy';

const N = 200;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function killWhileHolding(t: TestStack, store: TcpProxy): Promise<Tally> {
  const { b, ta, roomId } = await t.pair();
  const alice = await t.connect(ta, 0);
  const send = (i: number) =>
    alice.request<{ ok: boolean; message: MessageView }>(
      'send_message',
      { receiverId: b, roomId, content: `u${i}`, clientMsgId: `u-${i}` },
      60_000,
    );
  // one message through the whole path first: the edge knows the room, the worker knows its seq
  const first = await send(0);
  expect(first.ok).toBe(true);
  await alice.waitFor(() => alice.sent.length === 1, 'the first message stored');

  store.cut();
  const acks = [first, ...(await Promise.all(Array.from({ length: N }, (_, i) => send(i + 1))))];
  // the worker has them all in hand, failing to write: none left ready in the room's queue
  const queue = `${t.namespace}.persistence.message.store.p${partitionOf(roomId, DEFAULT_PARTITIONS)}`;
  const conn = await amqp.connect(process.env.TEST_RABBITMQ_URL!);
  try {
    const ch = await conn.createChannel();
    await eventually(async () => (await ch.checkQueue(queue)).messageCount === 0, 'the worker holding every command', 60_000);
  } finally {
    await conn.close();
  }
  await t.stack.kill('persistence-1', 'SIGKILL');
  store.restore();
  await t.stack.restart('persistence-1');
  const acked = acks.filter((a) => a.ok).map((a) => a.message);

  // wait until the store stops growing (or has everything), then count
  let stored: MessageView[] = [];
  for (let last = -1, i = 0; i < 40; i++, last = stored.length) {
    stored = await t.storedMessages(roomId, ta);
    if (stored.length === acked.length || (i > 3 && stored.length === last)) break;
    await sleep(1500);
  }
  // the same count as the fault suite's, without a receiver
  return tally(acked, stored, null);
}

describe('the fault checks can see loss', () => {
  describe.each<{ setting: string; label: string; env: Record<string, string>; loses: boolean }>([
    {
      setting: 'UNSAFE_ACK_BEFORE_WRITE (acks before the store write)',
      label: 'unsafe',
      env: { UNSAFE_ACK_BEFORE_WRITE: 'true' },
      loses: true,
    },
    { setting: 'the real setting (ack after the write)', label: 'safe', env: {}, loses: false },
  ])('with $setting', ({ label, env, loses }) => {
    const relay = stackBehindStoreRelay({ workers: 1, env, outbound: true });

    it(
      loses
        ? 'a SIGKILLed persistence worker loses the acknowledged messages it held, and the count shows it'
        : 'the same kill loses nothing',
      async () => {
        const r = await killWhileHolding(relay.stack(), relay.store());
        process.stdout.write(
          `\n[faults-see-loss] ${label}: acknowledged ${r.acked}, stored ${r.stored}, acknowledged but lost ${r.lost}\n`,
        );
        expect(r.acked).toBe(N + 1);
        if (loses) expect(r.lost).toBeGreaterThan(N / 2);
        else expect([r.lost, r.stored, r.order]).toEqual([0, N + 1, 0]);
      },
    );
  });
});
