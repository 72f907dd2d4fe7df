import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { buildTopology } from '@chat/broker';
import { DEFAULT_PARTITIONS, partitionOf } from '@chat/contracts';
import type { ServiceName } from '@chat/stack';
import { eventually, TestStack } from './support/harness';
import { LoadUser } from './support/load-client';
import { sumTallies, tally } from './support/tally';

const PAIRS = 24;
const TO = 16;
const rabbitmqctl = (...args: string[]) => promisify(execFile)('rabbitmqctl', args, { timeout: 60_000 });

/** Messages held by each of the namespace's queues, ready and unacknowledged alike. */
async function heldIn(namespace: string): Promise<number> {
  const { stdout } = await rabbitmqctl('list_queues', '-q', '--no-table-headers', 'name', 'messages');
  return stdout
    .split('\n')
    .map((l) => l.trim().split(/\s+/))
    .filter(([name]) => name?.startsWith(`${namespace}.`) && !name.endsWith('.dead-letter'))
    .reduce((n, [, count]) => n + Number(count), 0);
}

/** Consumers of each of the namespace's persistence queues, by partition. */
async function persistenceConsumers(namespace: string): Promise<Map<number, number>> {
  const { stdout } = await rabbitmqctl('list_queues', '-q', '--no-table-headers', 'name', 'consumers');
  const out = new Map<number, number>();
  for (const [name, count] of stdout.split('\n').map((l) => l.trim().split(/\s+/))) {
    const m = new RegExp(`^${namespace}\\.persistence\\.message\\.store\\.p(\\d+)$`).exec(name ?? '');
    if (m) out.set(Number(m[1]), Number(count));
  }
  return out;
}

/**
 * Changing the partition count from 8 to 16 under traffic, as docs/operations.md says to: stop the edges,
 * let every stage's queues empty, start every service with the new count (workers first). Rooms move to
 * other partitions and other owners; clients retry what was not acknowledged. Order and exactly-once hold.
 */
describe('changing the partition count', () => {
  const t = new TestStack();
  beforeAll(() => t.start(), 120_000);
  afterAll(() => t.stop(), 60_000);

  it(`from ${DEFAULT_PARTITIONS} to ${TO} with traffic: nothing lost, repeated or reordered`, async () => {
    const urls = t.stack.edgeUrls;
    const pairs = await Promise.all(Array.from({ length: PAIRS }, () => t.pair()));
    // the change must move rooms: some of these land elsewhere with 16 partitions
    expect(pairs.filter((p) => partitionOf(p.roomId, TO) !== partitionOf(p.roomId, DEFAULT_PARTITIONS)).length).toBeGreaterThan(0);
    const senders = pairs.map((p, i) => new LoadUser(urls, p.ta, i));
    const receivers = pairs.map((p, i) => new LoadUser(urls, p.tb, i + 1));
    let stop = false;
    let sending: Array<Promise<void>> = [];
    try {
      await Promise.all([...senders, ...receivers].map((u) => u.connect()));
      sending = pairs.map(async (p, i) => {
        for (let n = 0; !stop; n++) {
          await senders[i].send({ receiverId: p.b, roomId: p.roomId, content: `q${n}`, clientMsgId: `q${i}-${n}` });
          await new Promise((r) => setTimeout(r, 50));
        }
      });
      await new Promise((r) => setTimeout(r, 3000));
      const before = senders.reduce((n, u) => n + u.acked.length, 0);

      // 1. no new commands: the edges stop (their clients wait and retry)
      await Promise.all(['edge-1', 'edge-2'].map((e) => t.stack.kill(e, 'SIGTERM')));
      // 2. every command and event taken in so far is worked off
      await eventually(async () => (await heldIn(t.namespace)) === 0, 'every queue empty', 60_000);
      // 3. every service with the new count, workers first
      t.partitions = TO;
      for (const [service, name] of [
        ['persistence', 'persistence-1'],
        ['persistence', 'persistence-2'],
        ['fanout', 'fanout-1'],
        ['fanout', 'fanout-2'],
        ['receipts', 'receipts-1'],
        ['receipts', 'receipts-2'],
        ['edge', 'edge-1'],
        ['edge', 'edge-2'],
      ] as Array<[ServiceName, string]>) {
        await t.stack.kill(name, 'SIGTERM');
        await t.stack.spawn(service, name, { PARTITIONS: String(TO) });
      }
      // the services took the new count: every one of the 16 persistence queues has its consumer
      const everyQueueConsumed = async () => {
        const consumers = await persistenceConsumers(t.namespace);
        return [...Array(TO).keys()].every((p) => (consumers.get(p) ?? 0) > 0);
      };
      await eventually(everyQueueConsumed, `a consumer on each of the ${TO} persistence queues`, 30_000);
      // traffic goes on over the new partitions, the moved rooms' included
      await eventually(
        () => senders.reduce((n, u) => n + u.acked.length, 0) > before + 5 * PAIRS,
        'messages acknowledged after the change',
        60_000,
      );
      stop = true;
      await Promise.all(sending);

      for (let i = 0; i < PAIRS; i++) {
        await eventually(
          () => new Set(receivers[i].events.map((m) => m.id)).size >= senders[i].acked.length,
          `pair ${i}: every acknowledged message shown`,
          30_000,
        ).catch(() => undefined);
      }
      const counts = [];
      for (let i = 0; i < PAIRS; i++)
        counts.push(tally(senders[i].acked, await t.storedMessages(pairs[i].roomId, pairs[i].ta), receivers[i].events));
      const sum = sumTallies(counts);
      process.stdout.write(
        `\n[repartition] ${JSON.stringify({ ...sum, before, queues: buildTopology(t.namespace, TO).persistQueues.length })}\n`,
      );
      expect({ lost: sum.lost, duplicates: sum.duplicates, order: sum.order }).toEqual({ lost: 0, duplicates: 0, order: 0 });
    } finally {
      stop = true;
      for (const u of [...senders, ...receivers]) u.close();
      await Promise.allSettled(sending);
    }
  }, 240_000);
});
