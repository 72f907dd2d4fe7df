import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import type { MessageView } from '@chat/contracts';
import { TestStack, type TestClient } from './support/harness';

/** A client that retries a refused send with the same clientMsgId, as a real app does. */
async function sendWithRetry(c: TestClient, payload: Record<string, unknown>): Promise<MessageView> {
  for (let attempt = 0; attempt < 60; attempt++) {
    const r = await c.request('send_message', payload, 15_000).catch(() => ({ ok: false }));
    if (r.ok) return r.message;
    await new Promise((res) => setTimeout(res, 500));
  }
  throw new Error('send never accepted');
}

const rabbitmqctl = (...args: string[]) => promisify(execFile)('rabbitmqctl', args, { timeout: 120_000 });

/** Promise 1 under a broker restart: what was acknowledged is delivered, once, in order. */
describe('RabbitMQ restart', () => {
  const t = new TestStack();
  beforeAll(() => t.start(), 120_000);
  afterAll(() => t.stop(), 60_000);

  it('loses and duplicates nothing that was acknowledged while the broker restarts mid-stream', async () => {
    const { b, ta, tb, roomId } = await t.pair();
    const alice = await t.connect(ta, 0);
    const bob = await t.connect(tb, 1);
    const acked: MessageView[] = [];
    let restarted: Promise<void> | null = null;
    for (let i = 0; i < 120; i++) {
      if (i === 40) {
        // runs beside the sends: some are refused while the broker is down and retried by the client
        restarted = (async () => {
          await rabbitmqctl('stop_app');
          await rabbitmqctl('start_app');
        })();
      }
      acked.push(await sendWithRetry(alice, { receiverId: b, roomId, content: `q${i}`, clientMsgId: `q-${i}` }));
    }
    await restarted;
    await bob.waitFor(() => bob.received.length >= 120, 'all 120 delivered', 90_000);
    await new Promise((r) => setTimeout(r, 1000));
    expect(bob.received.map((m) => m.content)).toEqual(acked.map((m) => m.content));
    expect(new Set(bob.received.map((m) => m.id)).size).toBe(120);
  }, 240_000);
});
