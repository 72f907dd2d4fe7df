import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { REPO_ROOT } from '@chat/stack';
import { eventually, TestStack } from './support/harness';

/** Logs: one correlation id follows a message from the sender's request through the broker and workers to the receiver's socket. */
describe('correlation ids in the logs', () => {
  const t = new TestStack({ env: { LOG_LEVEL: 'debug' }, workers: 1 });
  beforeAll(() => t.start(), 120_000);
  afterAll(() => t.stop(), 60_000);

  const logDir = () => join(REPO_ROOT, '.data', 'test-logs', t.namespace);
  /** Every JSON log line, of every process, that mentions `needle`: what `grep needle *.log` shows an operator. */
  const grep = (needle: string) =>
    ['edge-1', 'edge-2', 'persistence-1', 'fanout-1', 'receipts-1'].flatMap((name) =>
      readFileSync(join(logDir(), `${name}.log`), 'utf8')
        .split('\n')
        .filter((l) => l.includes(needle))
        .map((l) => ({ name, ...(JSON.parse(l.slice(l.indexOf('{'))) as { msg: string; service: string }) })),
    );
  const path = (needle: string) => grep(needle).map((l) => `${l.name}: ${l.msg}`);

  it('REST: the caller’s x-correlation-id is echoed and found at every stage, ending at the receiver’s edge', async () => {
    const { b, ta, tb, roomId } = await t.pair();
    const bob = await t.connect(tb, 1);
    const id = `trace-${Date.now()}`;
    const r = await t.http('POST', '/chat/messages', {
      token: ta,
      headers: { 'x-correlation-id': id },
      body: { receiverId: b, roomId, content: 'traced', clientMsgId: 'trace-1' },
    });
    expect(r.status).toBe(202);
    expect(r.headers.get('x-correlation-id')).toBe(id);
    await bob.waitFor(() => bob.received.length === 1, 'delivered');
    // each process writes its log line on its own schedule (fanout's can land after the edge's): wait for all
    const stages = ['edge-1: request', 'persistence-1: stored', 'fanout-1: delivered', 'edge-2: emitted to socket'];
    await eventually(() => stages.every((s) => path(id).includes(s)), 'every stage logged it', 10_000).catch(() => undefined);
    expect(path(id)).toEqual(expect.arrayContaining(stages));
  });

  it('socket: the id the edge gives a send_message follows it too, and the receipt back to the sender', async () => {
    const { b, ta, tb, roomId } = await t.pair();
    const alice = await t.connect(ta, 0);
    const bob = await t.connect(tb, 1);
    const sent = await alice.request('send_message', { receiverId: b, roomId, content: 'traced over the socket', clientMsgId: 'trace-2' });
    await bob.waitFor(() => bob.received.length === 1, 'delivered');
    const accepted = grep(sent.message.id).find((l) => l.msg === 'accepted') as unknown as { correlationId: string } | undefined;
    expect(accepted?.correlationId).toMatch(/^[0-9a-f-]{36}$/);
    const id = accepted!.correlationId;
    const stages = ['edge-1: accepted', 'persistence-1: stored', 'fanout-1: delivered', 'edge-2: emitted to socket'];
    await eventually(() => stages.every((s) => path(id).includes(s)), 'every stage logged it', 10_000).catch(() => undefined);
    expect(path(id)).toEqual(expect.arrayContaining(stages));

    // bob reads it: his receipt has its own id, followed to alice's edge
    const read = await bob.request('message_read', { messageId: sent.message.id });
    expect(read.ok).toBe(true);
    await eventually(() => grep('message_read_ack').some((l) => l.name === 'edge-1'), 'the read receipt reached alice’s edge', 10_000);
    const rid = (grep('message_read_ack').find((l) => l.name === 'edge-1') as unknown as { correlationId: string }).correlationId;
    expect(path(rid)).toEqual(expect.arrayContaining(['edge-2: accepted', 'receipts-1: receipts applied', 'edge-1: emitted to socket']));
  });
});
