import { eventually, newUserId, TestStack } from './support/harness';

/** Limits per user (writes, REST calls) and per IP (connects), shared by the edges; security headers. */
describe('rate limits and headers', () => {
  const t = new TestStack({
    env: {
      RATE_WINDOW_S: '60',
      RATE_WRITES_PER_USER: '6',
      RATE_REST_PER_USER: '10',
      RATE_CONNECTS_PER_IP: '1000',
      MAX_SOCKETS_PER_USER: '3',
    },
  });
  beforeAll(() => t.start(), 120_000);
  afterAll(() => t.stop(), 60_000);

  it('refuses a user’s writes past the limit on every edge, with RATE_LIMITED and a retry time', async () => {
    const { b, ta, roomId } = await t.pair(); // the pair's conversation is one write
    const alice0 = await t.connect(ta, 0);
    const alice1 = await t.connect(ta, 1);
    const results = [];
    for (let i = 0; i < 6; i++) {
      const s = i % 2 === 0 ? alice0 : alice1;
      results.push(await s.request('send_message', { receiverId: b, roomId, content: `r${i}`, clientMsgId: `rl-${i}` }));
    }
    expect(results.slice(0, 5).every((r) => r.ok)).toBe(true);
    expect(results[5]).toMatchObject({ ok: false, error: { code: 'RATE_LIMITED' } });
    expect(results[5].error.details.retryAfterMs).toBeGreaterThan(0);
  });

  it('answers REST past the limit with 429 and Retry-After', async () => {
    const { a, ta } = await t.pair();
    let last = await t.http('GET', `/chat/conversations/${a}`, { token: ta });
    for (let i = 0; i < 12 && last.status !== 429; i++) last = await t.http('GET', `/chat/conversations/${a}`, { token: ta, edge: i % 2 });
    expect(last.status).toBe(429);
    expect(last.body.error.code).toBe('RATE_LIMITED');
    expect(Number(last.headers.get('retry-after'))).toBeGreaterThan(0);
  });

  it('caps live sockets per user across edges', async () => {
    const u = newUserId();
    const token = await t.token(u);
    await t.connect(token, 0);
    await t.connect(token, 1);
    await t.connect(token, 0);
    await eventually(async () => (await t.presence(u)) === 3, 'three sockets in presence'); // written just after the connect
    await expect(t.connect(token, 1)).rejects.toMatchObject({ data: { code: 'RATE_LIMITED' } });
  });

  it('sends security headers and no CORS grant to an unknown origin', async () => {
    const r = await t.http('GET', '/docs/openapi.json', { headers: { origin: 'https://evil.example' } });
    expect(r.headers.get('x-content-type-options')).toBe('nosniff');
    expect(r.headers.get('x-powered-by')).toBeNull();
    expect(r.headers.get('access-control-allow-origin')).toBeNull();
  });
});
