import fc from 'fast-check';
import { TestStack } from './support/harness';

const id = fc.stringMatching(/^[0-9a-f]{24}$/);
/** Values a hostile or broken client sends where a field is expected. */
const junk = fc.oneof(
  fc.string({ maxLength: 40 }),
  fc.string({ minLength: 4001, maxLength: 5000 }),
  fc.integer(),
  fc.double(),
  fc.boolean(),
  fc.constant(null),
  fc.array(fc.string({ maxLength: 5 }), { maxLength: 5 }),
  fc.constantFrom({ $gt: '' }, { $ne: null }, { $where: 'sleep(100)' }, { $regex: '.*' }, { __proto__: { admin: true } }),
  fc.constant('\ud800\udfff\ud800'),
  fc.dictionary(fc.string({ maxLength: 8 }), fc.string({ maxLength: 8 }), { maxKeys: 4 }),
  fc.constant(JSON.parse('{"a":{"b":{"c":{"d":{"e":{"f":{"g":1}}}}}}}')),
);
const field = (good: fc.Arbitrary<unknown>) => fc.oneof({ weight: 3, arbitrary: good }, { weight: 2, arbitrary: junk });
const maybeExtra = fc.option(fc.dictionary(fc.constantFrom('admin', '$where', 'role', '__proto__', 'seq'), junk, { maxKeys: 2 }), {
  nil: undefined,
});

/**
 * Generated and mutated REST bodies, params, queries and socket payloads: every answer is a 2xx or a 4xx
 * with the error shape, never a 5xx, and no process dies.
 */
describe('bad input, generated', () => {
  const t = new TestStack({ env: { RATE_REST_PER_USER: '10000000', RATE_WRITES_PER_USER: '10000000' } });
  let ctx: Awaited<ReturnType<TestStack['pair']>>;
  beforeAll(async () => {
    await t.start();
    ctx = await t.pair();
  }, 120_000);
  afterAll(() => t.stop(), 60_000);

  const problems: string[] = [];
  const check = (what: string, status: number, body: any) => {
    const shaped = status < 400 || (typeof body?.error?.code === 'string' && typeof body?.error?.message === 'string');
    if (status >= 500 || !shaped) problems.push(`${what} → ${status} ${JSON.stringify(body).slice(0, 200)}`);
  };

  it('REST: 0 responses 5xx over 5,000 generated requests', async () => {
    const { a, b, ta, roomId } = ctx;
    const bodies = fc.record({
      receiverId: field(fc.constant(b)),
      roomId: field(fc.constant(roomId)),
      content: field(fc.string({ minLength: 1, maxLength: 50 })),
      clientMsgId: field(fc.stringMatching(/^[a-z0-9-]{1,20}$/)),
      senderId: field(fc.constant(a)),
      extra: maybeExtra,
    });
    const routes = fc.constantFrom(
      ['POST', '/chat/messages'],
      ['POST', '/chat/conversation'],
      ['PUT', '/chat/message/ID'],
      ['PATCH', '/chat/messages/delivered'],
      ['POST', '/chat/groups'],
      ['POST', '/chat/groups/ID/members'],
      ['PATCH', '/chat/groups/invite/ID/respond'],
      ['GET', '/chat/messages/ID?before=Q&limit=Q'],
      ['GET', '/chat/conversations/ID?limit=Q&offset=Q'],
      ['GET', '/chat/message/unread/ID'],
      ['DELETE', '/chat/message/ID/ID'],
    );
    const pathPart = fc.oneof(id, fc.constant(roomId), fc.string({ maxLength: 30 }).map(encodeURIComponent), fc.constant('%24gt'));
    await fc.assert(
      fc.asyncProperty(routes, bodies, pathPart, pathPart, fc.boolean(), async ([method, path], body, p1, p2, raw) => {
        const { extra, ...fields } = body;
        const url = path
          .replace('ID', p1)
          .replace('ID', p2)
          .replace(/Q/g, () => encodeURIComponent(String(p2).slice(0, 6)));
        const bodyless = method === 'GET' || method === 'DELETE';
        const r =
          raw && !bodyless
            ? await t.http(method, url, { token: ta, raw: JSON.stringify({ ...fields, ...(extra ?? {}) }).slice(0, 60) })
            : await t.http(method, url, { token: ta, body: bodyless ? undefined : { ...fields, ...(extra ?? {}) } });
        check(`${method} ${url}`, r.status, r.body);
      }),
      { numRuns: 5000, seed: 7 },
    );
    expect(problems).toEqual([]);
  }, 300_000);

  it('socket: 0 server errors over 5,000 generated payloads, and the socket stays usable', async () => {
    const { b, ta, roomId } = ctx;
    const s = await t.connect(ta, 1);
    const payloads = fc.oneof(
      junk,
      fc.record({
        receiverId: field(fc.constant(b)),
        roomId: field(fc.constant(roomId)),
        content: field(fc.string({ maxLength: 30 })),
        extra: maybeExtra,
      }),
      fc.record({ messageId: field(id), newContent: field(fc.string({ maxLength: 30 })) }),
      fc.record({ participantId: field(id) }),
      fc.record({ groupId: field(id), content: field(fc.string({ maxLength: 30 })), mentions: field(fc.array(id, { maxLength: 3 })) }),
    );
    const events = fc.constantFrom(
      'send_message',
      'edit_message',
      'delete_message',
      'message_delivered',
      'message_read',
      'join_or_create_room',
      'send_group_message',
    );
    await fc.assert(
      fc.asyncProperty(events, payloads, async (event, payload) => {
        const r = await s.request(event, payload);
        if (r.ok === false && (r.error?.code === 'INTERNAL' || typeof r.error?.message !== 'string'))
          problems.push(`${event} ${JSON.stringify(payload).slice(0, 100)} → ${JSON.stringify(r)}`);
      }),
      { numRuns: 5000, seed: 11 },
    );
    expect(problems).toEqual([]);
    expect((await s.request('send_message', { receiverId: b, roomId, content: 'still fine', clientMsgId: 'pb-after' })).ok).toBe(true);
    for (const [name, p] of t.stack.processes) expect([name, p.child.exitCode]).toEqual([name, null]);
  }, 300_000);
});
