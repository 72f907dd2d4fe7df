/**
 * The fault tests must be able to see loss. With UNSAFE_ACK_BEFORE_WRITE the persistence worker acks each
 * command as it arrives, before storing it; SIGKILLed mid-stream, it loses what it held, and the same
 * count the fault suites use (acknowledged to the sender, then stored) reports it. With the real setting
 * the same kill loses nothing (test/faults.test.ts, test/faults-load.test.ts).
 */
import type { MessageView } from '@chat/contracts';
import { TestStack } from './support/harness';

/** Sends `n` messages pipelined, SIGKILLs the only persistence worker mid-stream, restarts it, and counts. */
async function killMidStream(t: TestStack, n: number): Promise<{ acked: number; stored: number; lost: number }> {
  const { b, ta, roomId } = await t.pair();
  const alice = await t.connect(ta, 0);
  const sends: Array<Promise<{ ok: boolean; message: MessageView }>> = [];
  for (let i = 0; i < n; i++) sends.push(alice.request('send_message', { receiverId: b, roomId, content: `u${i}`, clientMsgId: `u-${i}` }, 60_000));
  // mid-stream: some stored (their message_sent came back), more acked by the broker and in the worker's hands
  await alice.waitFor(() => alice.sent.length >= 20, 'the first messages stored', 60_000);
  await t.stack.kill('persistence-1', 'SIGKILL');
  const acks = await Promise.all(sends);
  await t.stack.restart('persistence-1');
  const acked = acks.filter((a) => a.ok).map((a) => a.message.id);

  // wait until the store stops growing, then count what was stored
  const storedIds = async () => {
    const ids: string[] = [];
    let after = 0;
    for (;;) {
      const page = await t.http('GET', `/chat/messages/${roomId}?limit=100&after=${after}`, { token: ta });
      ids.push(...page.body.messages.map((m: MessageView) => m.id));
      if (!page.body.hasMore) break;
      after = page.body.messages[page.body.messages.length - 1].seq;
    }
    return ids;
  };
  let last = -1;
  let stored: string[] = [];
  for (let i = 0; i < 60; i++) {
    stored = await storedIds();
    if (stored.length === last || stored.length === n) break;
    last = stored.length;
    await new Promise((r) => setTimeout(r, 1500));
  }
  const storedSet = new Set(stored);
  return { acked: acked.length, stored: stored.length, lost: acked.filter((id) => !storedSet.has(id)).length };
}

describe('the fault checks can see loss', () => {
  const N = 600;

  describe('with UNSAFE_ACK_BEFORE_WRITE (acks before the store write)', () => {
    const t = new TestStack({ workers: 1, env: { UNSAFE_ACK_BEFORE_WRITE: 'true' } });
    beforeAll(() => t.start(), 120_000);
    afterAll(() => t.stop(), 60_000);

    it('a SIGKILLed persistence worker loses acknowledged messages, and the count shows it', async () => {
      const r = await killMidStream(t, N);
      process.stdout.write(`\n[faults-see-loss] unsafe: acknowledged ${r.acked}, stored ${r.stored}, acknowledged but lost ${r.lost}\n`);
      expect(r.acked).toBe(N);
      expect(r.lost).toBeGreaterThan(0);
    });
  });

  describe('with the real setting (ack after the write)', () => {
    const t = new TestStack({ workers: 1 });
    beforeAll(() => t.start(), 120_000);
    afterAll(() => t.stop(), 60_000);

    it('the same kill loses nothing', async () => {
      const r = await killMidStream(t, N);
      process.stdout.write(`\n[faults-see-loss] safe: acknowledged ${r.acked}, stored ${r.stored}, acknowledged but lost ${r.lost}\n`);
      expect(r.acked).toBe(N);
      expect(r.lost).toBe(0);
      expect(r.stored).toBe(N);
    });
  });
});
