import type { MessageTrace } from '@chat/contracts';
import { eventually, newUserId, TestStack } from './support/harness';

/**
 * The per-message delivery trace, through the real pipeline: the sender sees each stage of its message as
 * it happens (accepted, stored, fanned out, delivered, read), nobody else sees anything, and every stage's
 * latency shows in the metrics and on the dashboard.
 */
describe('delivery trace', () => {
  const t = new TestStack();
  beforeAll(() => t.start(), 120_000);
  afterAll(() => t.stop(), 60_000);

  const trace = async (token: string, messageId: string) =>
    t.http<{ trace: MessageTrace }>('GET', `/chat/message/${messageId}/trace`, { token });
  /** The trace once `pred` holds of it. */
  async function traceWhen(token: string, messageId: string, pred: (tr: MessageTrace) => boolean, what: string): Promise<MessageTrace> {
    let last: MessageTrace | undefined;
    await eventually(async () => {
      const r = await trace(token, messageId);
      last = r.status === 200 ? r.body.trace : undefined;
      return last !== undefined && pred(last);
    }, what);
    return last!;
  }
  /** The times of the stages that happened, in the pipeline's order. */
  const times = (tr: MessageTrace) =>
    [
      tr.accepted.at,
      tr.stored?.at,
      tr.fannedOut?.at,
      tr.delivered && 'at' in tr.delivered ? tr.delivered.at : null,
      tr.read && 'at' in tr.read ? tr.read.at : null,
    ]
      .filter((x): x is string => typeof x === 'string')
      .map((x) => Date.parse(x));
  const nonDecreasing = (xs: number[]) => xs.every((x, i) => i === 0 || xs[i - 1] <= x);

  it('a message to an online receiver shows every stage in order once the receiver acknowledges and reads it', async () => {
    const { b, ta, tb, roomId } = await t.pair();
    const bob = await t.connect(tb, 1);
    const sent = await t.http('POST', '/chat/messages', {
      token: ta,
      body: { receiverId: b, roomId, content: 'trace me', clientMsgId: 'tr-1' },
    });
    expect(sent.status).toBe(202);
    const id = sent.body.message.id as string;
    await bob.waitFor(() => bob.received.some((m) => m.id === id), 'bob received it');

    // bob's device acknowledged it (the harness's client acks every receive_message): delivered
    const delivered = await traceWhen(ta, id, (tr) => tr.delivered !== null, 'delivered in the trace');
    expect(delivered.read).toBeNull();
    expect((await bob.request('message_read', { messageId: id })).ok).toBe(true);
    const tr = await traceWhen(ta, id, (x) => x.read !== null, 'read in the trace');

    expect(tr).toMatchObject({ messageId: id, roomId, kind: 'direct', stored: { seq: 1 } });
    // accepted by the first edge, handed to the second, which holds bob's socket
    expect(tr.accepted.edge).toMatch(/^edge-1\./);
    expect(tr.fannedOut).toMatchObject({ to: 'online', edges: [expect.stringMatching(/^edge-2\./)] });
    expect(tr.delivered).toMatchObject({ exact: true });
    expect(tr.read).toMatchObject({ exact: true });
    const ts = times(tr);
    expect(ts).toHaveLength(5);
    expect(nonDecreasing(ts)).toBe(true);
  });

  it('a message to an offline receiver shows it parked, with nothing delivered or read until the receiver connects and reads', async () => {
    const { b, ta, tb, roomId } = await t.pair();
    const sent = await t.http('POST', '/chat/messages', {
      token: ta,
      body: { receiverId: b, roomId, content: 'while away', clientMsgId: 'tr-2' },
    });
    const id = sent.body.message.id as string;
    const parked = await traceWhen(ta, id, (tr) => tr.fannedOut !== null, 'fanned out in the trace');
    expect(parked.fannedOut).toEqual({ at: expect.any(String), to: 'parked' });
    expect([parked.delivered, parked.read]).toEqual([null, null]);

    const bob = await t.connect(tb, 0);
    await bob.waitFor(() => bob.received.some((m) => m.id === id), 'bob got it on connecting');
    await traceWhen(ta, id, (tr) => tr.delivered !== null, 'delivered once bob connected');
    expect((await t.http('PATCH', `/chat/message/read/${id}`, { token: tb })).status).toBe(202);
    const tr = await traceWhen(ta, id, (x) => x.read !== null, 'read in the trace');
    expect(tr.fannedOut).toMatchObject({ to: 'parked' });
    const ts = times(tr);
    expect(ts).toHaveLength(5);
    expect(nonDecreasing(ts)).toBe(true);
  });

  it('a group message counts its members: online and parked at fan-out, then how many have it and read it', async () => {
    const [a, b, c] = Array.from({ length: 3 }, newUserId);
    const [ta, tb, tc] = await Promise.all([a, b, c].map((u) => t.token(u)));
    await t.letAnyoneAdd(tb, tc);
    const created = await t.http('POST', '/chat/groups', { token: ta, body: { name: 'traced', memberIds: [b, c] } });
    const groupId = created.body.groupId as string;
    await eventually(async () => (await t.http('GET', `/chat/groups/${groupId}/members`, { token: ta })).status === 200, 'group created');
    const bob = await t.connect(tb, 1);
    const sent = await t.http('POST', `/chat/groups/${groupId}/messages`, {
      token: ta,
      body: { content: 'to the group', clientMsgId: 'tr-g' },
    });
    const id = sent.body.message.id as string;

    // bob online (and acknowledging), carol away
    const first = await traceWhen(ta, id, (tr) => tr.fannedOut !== null && (tr.delivered as { count: number }).count === 1, 'bob has it');
    expect(first).toMatchObject({ kind: 'group', roomId: groupId, stored: { seq: expect.any(Number) } });
    expect(first.fannedOut).toEqual({ at: expect.any(String), online: 1, parked: 1, edges: 1 });
    expect([first.delivered, first.read]).toEqual([
      { count: 1, of: 2 },
      { count: 0, of: 2 },
    ]);

    expect((await bob.request('message_read', { messageId: id })).ok).toBe(true);
    const carol = await t.connect(tc, 0);
    await carol.waitFor(() => carol.received.some((m) => m.id === id), 'carol got it on connecting');
    const last = await traceWhen(
      ta,
      id,
      (tr) => (tr.delivered as { count: number }).count === 2 && (tr.read as { count: number }).count === 1,
      'both have it, bob read it',
    );
    expect([last.delivered, last.read]).toEqual([
      { count: 2, of: 2 },
      { count: 1, of: 2 },
    ]);
  });

  it('only the sender may trace: the receiver and a stranger get the 404 of an unknown id; a bad id is a 400', async () => {
    const { b, ta, tb, roomId } = await t.pair();
    const sent = await t.http('POST', '/chat/messages', {
      token: ta,
      body: { receiverId: b, roomId, content: 'mine', clientMsgId: 'tr-3' },
    });
    const id = sent.body.message.id as string;
    await traceWhen(ta, id, (tr) => tr.stored !== null, 'stored');

    const unknown = await trace(ta, newUserId());
    expect(unknown.status).toBe(404);
    for (const token of [tb, await t.token(newUserId())]) {
      const r = await trace(token, id);
      expect({ status: r.status, body: r.body }).toEqual({ status: unknown.status, body: unknown.body });
    }
    const bad = await trace(ta, 'not-an-id');
    expect(bad.status).toBe(400);
    expect((bad.body as unknown as { error: { code: string } }).error.code).toBe('VALIDATION_FAILED');
    expect((await t.http('GET', `/chat/message/${id}/trace`)).status).toBe(401);
  });

  it('exports every stage’s latency as chat_stage_seconds buckets, and the dashboard shows each stage’s last-minute p50 and p99', async () => {
    // traffic through every stage (the tests above also count, when run together)
    const { b, ta, tb, roomId } = await t.pair();
    const bob = await t.connect(tb, 1);
    const sent = await t.http('POST', '/chat/messages', {
      token: ta,
      body: { receiverId: b, roomId, content: 'counted', clientMsgId: 'tr-4' },
    });
    const id = sent.body.message.id as string;
    await traceWhen(ta, id, (tr) => tr.delivered !== null, 'delivered');
    expect((await bob.request('message_read', { messageId: id })).ok).toBe(true);
    await traceWhen(ta, id, (tr) => tr.read !== null, 'read');

    const stages = ['accepted', 'stored', 'fanned_out', 'delivered', 'read'];
    /** Per stage, the +Inf bucket summed over every process: how many messages each stage timed. */
    const counted = async () => {
      const out: Record<string, number> = Object.fromEntries(stages.map((s) => [s, 0]));
      for (const url of t.stack.opsUrls.values()) {
        const text = await fetch(`${url}/metrics`, { signal: AbortSignal.timeout(5000) }).then((r) => r.text());
        for (const line of text.split('\n')) {
          const m = /^chat_stage_seconds_bucket\{(.*)\} (\d+)$/.exec(line);
          const stage = m && /stage="(\w+)"/.exec(m[1])?.[1];
          if (m && stage && m[1].includes('le="+Inf"')) out[stage] += Number(m[2]);
        }
      }
      return out;
    };
    await eventually(async () => Object.values(await counted()).every((n) => n >= 1), 'every stage timed');
    const metrics = await counted();
    for (const s of stages) expect({ stage: s, timed: metrics[s] >= 1 }).toEqual({ stage: s, timed: true });

    const admin = await t.token(newUserId(), 'admin');
    expect((await t.http('GET', '/admin/api/stages', { token: ta })).status).toBe(403);
    let shown: Array<{ stage: string; count: number; p50Ms: number | null; p99Ms: number | null }> = [];
    // each process publishes its window every few seconds
    await eventually(async () => {
      shown = (await t.http('GET', '/admin/api/stages', { token: admin })).body.stages;
      return shown.every((s) => s.count >= 1);
    }, 'every stage on the dashboard');
    expect(shown.map((s) => s.stage)).toEqual(stages);
    for (const s of shown) {
      expect(s.p50Ms).toEqual(expect.any(Number));
      expect(s.p99Ms!).toBeGreaterThanOrEqual(s.p50Ms!);
    }
  });
});
