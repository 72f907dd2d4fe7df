import { TestStack } from './support/harness';

/** Bad input gets a clear 4xx with the error shape; no process dies and the system keeps working. */
describe('bad input', () => {
  const t = new TestStack();
  let ctx: Awaited<ReturnType<TestStack['pair']>>;
  beforeAll(async () => {
    await t.start();
    ctx = await t.pair();
  }, 120_000);
  afterAll(() => t.stop(), 60_000);

  const expectRefusal = (r: { status: number; body: any }, codes: string[] = ['VALIDATION_FAILED']) => {
    expect(r.status).toBeGreaterThanOrEqual(400);
    expect(r.status).toBeLessThan(500);
    expect(typeof r.body.error.message).toBe('string');
    expect(codes).toContain(r.body.error.code);
  };

  it('refuses wrong types, operators, unknown fields, bad ids and empty or oversized content', async () => {
    const { b, ta, roomId } = ctx;
    const good = { receiverId: b, roomId, content: 'hi', clientMsgId: 'ok-1' };
    const bodies: unknown[] = [
      { ...good, content: 42 },
      { ...good, content: { $gt: '' } },
      { ...good, roomId: { $gt: '' } },
      { ...good, receiverId: { $ne: null } },
      { ...good, clientMsgId: { $regex: '.*' } },
      { ...good, $where: 'sleep(1000)' },
      { ...good, admin: true },
      { ...good, roomId: 'not-an-id' },
      { ...good, receiverId: '123' },
      { ...good, content: '' },
      { ...good, content: 'x'.repeat(4001) },
      [good],
      'just a string',
      null,
    ];
    for (const body of bodies) expectRefusal(await t.http('POST', '/chat/messages', { token: ta, body }));
    expectRefusal(await t.http('POST', '/chat/conversation', { token: ta, body: { user1: { $gt: '' }, user2: b } }));
  });

  it('refuses bad input on the lifecycle routes', async () => {
    const { a, ta, roomId } = ctx;
    const id = 'f'.repeat(24);
    expectRefusal(await t.http('PUT', `/chat/message/${id}`, { token: ta, body: { content: { $gt: '' } } }));
    expectRefusal(await t.http('PUT', `/chat/message/${id}`, { token: ta, body: { content: 'x', extra: 1 } }));
    expectRefusal(await t.http('PUT', '/chat/message/xyz', { token: ta, body: { content: 'x' } }));
    expectRefusal(await t.http('DELETE', `/chat/message/${id}/nope`, { token: ta }));
    expectRefusal(await t.http('PATCH', '/chat/messages/delivered', { token: ta, body: { messageIds: 'abc' } }));
    expectRefusal(await t.http('PATCH', '/chat/messages/delivered', { token: ta, body: { messageIds: [{ $gt: '' }] } }));
    expectRefusal(await t.http('PATCH', `/chat/message/read/${id}`, { token: ta, body: { sneaky: true } }));
    expectRefusal(await t.http('PATCH', `/chat/message/read/room/${roomId}/user/${a}`, { token: ta, body: [1] }));
    expectRefusal(await t.http('GET', '/chat/message/unread/abc', { token: ta }));
    const missing = await t.http('PUT', `/chat/message/${id}`, { token: ta, body: { content: 'x' } });
    expect(missing.status).toBe(404);
  });

  it('refuses broken JSON, a 1 MB body and a missing body', async () => {
    const { ta } = ctx;
    expectRefusal(await t.http('POST', '/chat/messages', { token: ta, raw: '{"content": "unterminated' }), ['INVALID_JSON']);
    expectRefusal(await t.http('POST', '/chat/messages', { token: ta, raw: JSON.stringify({ content: 'x'.repeat(1024 * 1024) }) }), [
      'PAYLOAD_TOO_LARGE',
    ]);
    expectRefusal(await t.http('POST', '/chat/messages', { token: ta }));
  });

  it('refuses bad path and query values', async () => {
    const { a, ta, roomId } = ctx;
    expectRefusal(await t.http('GET', '/chat/messages/not-an-id', { token: ta }));
    expectRefusal(await t.http('GET', `/chat/messages/${roomId}?limit=1000`, { token: ta }));
    expectRefusal(await t.http('GET', `/chat/messages/${roomId}?before=abc`, { token: ta }));
    expectRefusal(await t.http('GET', `/chat/messages/${roomId}?limit=1&limit=2`, { token: ta }));
    expectRefusal(await t.http('GET', `/chat/messages/${roomId}?unknown=1`, { token: ta }));
    expectRefusal(await t.http('GET', `/chat/conversations/${a}?limit=-5`, { token: ta }));
    expectRefusal(await t.http('GET', '/chat/offline/%24gt', { token: ta }));
    const missing = await t.http('GET', '/chat/nothing-here', { token: ta });
    expect(missing.status).toBe(404);
    expect(missing.body.error.code).toBe('NOT_FOUND');
  });

  it('refuses bad socket payloads with an error acknowledgement, and the socket stays usable', async () => {
    const { b, ta, roomId } = ctx;
    const s = await t.connect(ta, 1);
    for (const payload of [
      undefined,
      'x',
      42,
      [],
      { receiverId: { $gt: '' }, roomId, content: 'x' },
      { receiverId: b, roomId, content: 'x'.repeat(5000) },
    ]) {
      const r = await s.request('send_message', payload);
      expect(r.ok).toBe(false);
      expect(r.error.code).toBe('VALIDATION_FAILED');
    }
    const join = await s.request('join_or_create_room', { participantId: 'nope' });
    expect(join.ok).toBe(false);
    const ok = await s.request('send_message', { receiverId: b, roomId, content: 'still works', clientMsgId: 'after-bad' });
    expect(ok.ok).toBe(true);
  });

  it('serves the OpenAPI document and Swagger UI at /docs without a token', async () => {
    const doc = await t.http('GET', '/docs/openapi.json');
    expect(doc.status).toBe(200);
    expect(doc.body.openapi).toMatch(/^3\./);
    expect(Object.keys(doc.body.paths)).toContain('/chat/messages/{roomId}');
    const ui = await fetch(`${t.edge(1)}/docs/`);
    expect(ui.status).toBe(200);
    expect(await ui.text()).toContain('swagger-ui');
  });

  it('keeps every process up, and later requests work', async () => {
    for (const [name, p] of t.stack.processes) {
      expect([name, p.child.exitCode]).toEqual([name, null]);
    }
    const { b, ta, roomId } = ctx;
    const r = await t.http('POST', '/chat/messages', {
      token: ta,
      body: { receiverId: b, roomId, content: 'fine', clientMsgId: 'fine-1' },
    });
    expect(r.status).toBe(202);
  });
});
