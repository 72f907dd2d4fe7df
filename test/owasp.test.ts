import jwt from 'jsonwebtoken';
import { request } from 'node:http';
import { io, type Socket } from 'socket.io-client';
import { ROUTES } from '../services/edge/src/http/openapi';
import { eventually, newUserId, TEST_JWT_SECRET, TestStack } from './support/harness';

/**
 * OWASP API Security Top 10 (2023), one test per item that applies to this service. API7 (server-side
 * request forgery) does not: no route takes a URL or makes the server fetch anything on a client's behalf.
 */
describe('OWASP API Security Top 10 (2023)', () => {
  const t = new TestStack({ workers: 1 });
  beforeAll(() => t.start(), 120_000);
  afterAll(() => t.stop(), 60_000);

  /** Objects owned by a, b and c: a room a↔b with a message from a, a group of a (admin) and b, an invite for c. */
  async function world() {
    const { a, b, ta, tb, roomId } = await t.pair();
    const c = newUserId();
    const tc = await t.token(c);
    const sent = await t.http('POST', '/chat/messages', {
      token: ta,
      body: { receiverId: b, roomId, content: 'private', clientMsgId: 'w1' },
    });
    const messageId = sent.body.message.id as string;
    await eventually(async () => (await t.http('GET', `/chat/messages/${roomId}`, { token: ta })).body.messages?.length === 1, 'stored');
    // b lets anyone add it to a group (b never wrote to a, so by default b would only be invited)
    await t.http('PATCH', '/chat/me/settings', { token: tb, body: { groupAdds: 'everyone' } });
    const g = await t.http('POST', '/chat/groups', { token: ta, body: { name: 'team', memberIds: [b] } });
    const groupId = g.body.groupId as string;
    await eventually(async () => (await t.http('GET', `/chat/groups/${groupId}/members`, { token: ta })).status === 200, 'group stored');
    const inv = await t.http('POST', `/chat/groups/${groupId}/invite`, { token: ta, body: { userId: c } });
    const inviteId = inv.body.inviteId as string;
    return { a, b, c, ta, tb, tc, roomId, messageId, groupId, inviteId };
  }

  it('API1 broken object level authorisation: every route that takes an id, tried by someone who does not own it, is refused and changes nothing', async () => {
    const w = await world();
    const x = newUserId();
    const tx = await t.token(x);
    // what an attacker puts in each id slot: the victims' objects, and their own id where the route demands "me"
    const params: Record<string, string> = {
      roomId: w.roomId,
      messageId: w.messageId,
      groupId: w.groupId,
      inviteId: w.inviteId,
      userId: w.a,
      requesterId: x,
      emoji: 'x',
    };
    const bodies: Record<string, unknown> = {
      'post /chat/conversation': { user1: w.a, user2: w.b },
      'post /chat/messages': { receiverId: w.b, roomId: w.roomId, content: 'intruder', clientMsgId: 'x1' },
      'put /chat/message/:messageId': { senderId: x, content: 'hacked' },
      'post /chat/message/:messageId/reactions': { emoji: '👍' },
      'post /chat/message/:messageId/report': { reason: 'intruder' },
      'patch /chat/messages/delivered': { messageIds: [w.messageId] },
      'patch /chat/groups/invite/:inviteId/respond': { accept: true },
      'patch /chat/groups/:groupId': { name: 'pwned' },
      'post /chat/groups/:groupId/members': { userIds: [x] },
      'post /chat/groups/:groupId/invite': { userId: x },
      'post /chat/groups/:groupId/messages': { content: 'intruder', clientMsgId: 'x2' },
      'post /chat/rooms/:roomId/pins': { messageId: w.messageId },
      'patch /chat/rooms/:roomId/settings': { muted: true },
    };
    // "me" routes: the path names a user, which must be the caller
    const selfRoutes: Record<string, string> = { 'patch /chat/message/read/room/:roomId/user/:userId': x };
    // routes whose path names another user the caller acts on for itself (its own block), not an object of theirs
    const callersOwn = new Set(['delete /chat/blocks/:userId']);
    const ownedOnly = ROUTES.filter(
      (r) => (r.path.includes(':') || `${r.method} ${r.path}` in bodies) && !callersOwn.has(`${r.method} ${r.path}`),
    );
    const tried: string[] = [];
    for (const r of ownedOnly) {
      const key = `${r.method} ${r.path}`;
      let path = r.path.replace(/:(\w+)/g, (_, name: string) => params[name]);
      if (selfRoutes[key]) path = r.path.replace(':roomId', w.roomId).replace(':userId', selfRoutes[key]);
      if (key === 'delete /chat/groups/:groupId/members/:userId' || key === 'post /chat/groups/:groupId/members/:userId/promote')
        path = path.replace(w.a, w.b);
      const body = bodies[key] ?? (r.method === 'get' || r.method === 'delete' || r.method === 'patch' ? undefined : {});
      const res = await t.http(r.method.toUpperCase(), path, { token: tx, body });
      expect({ route: key, status: [403, 404].includes(res.status) ? 'refused' : res.status }).toEqual({ route: key, status: 'refused' });
      expect(res.body.error?.code).toMatch(/^(FORBIDDEN|NOT_FOUND)$/);
      tried.push(key);
    }
    expect(tried.length).toBeGreaterThanOrEqual(20);
    // search in the victims' rooms by id; across "all my rooms" the content is not found
    for (const roomId of [w.roomId, w.groupId]) {
      const found = await t.http('GET', `/chat/search?q=private&roomId=${roomId}`, { token: tx });
      expect([found.status, found.body.error?.code]).toEqual([404, 'NOT_FOUND']);
    }
    expect((await t.http('GET', '/chat/search?q=private', { token: tx })).body.messages).toEqual([]);
    // presence of people the caller shares no room with
    const presence = await t.http('GET', `/chat/presence?userIds=${w.a},${w.b}`, { token: tx });
    expect([presence.status, presence.body.error?.code]).toEqual([404, 'NOT_FOUND']);
    // the socket too
    const sx = await t.connect(tx, 1);
    for (const [event, payload] of [
      ['send_message', { receiverId: w.b, roomId: w.roomId, content: 'intruder', clientMsgId: 'x3' }],
      ['edit_message', { messageId: w.messageId, newContent: 'hacked' }],
      ['delete_message', { messageId: w.messageId }],
      ['react_message', { messageId: w.messageId, emoji: '👍', on: true }],
      ['message_delivered', { messageId: w.messageId }],
      ['message_read', { messageId: w.messageId }],
      ['send_group_message', { groupId: w.groupId, content: 'intruder', clientMsgId: 'x4' }],
      ['typing', { roomId: w.roomId, isTyping: true }],
      ['typing', { roomId: w.groupId, isTyping: true }],
    ] as const) {
      const r = await sx.request(event, payload);
      expect({ event, ok: r.ok, code: r.error?.code }).toEqual({
        event,
        ok: false,
        code: expect.stringMatching(/^(FORBIDDEN|NOT_FOUND)$/),
      });
    }

    await new Promise((r) => setTimeout(r, 1000)); // anything wrongly accepted would have been applied by now
    const history = await t.http('GET', `/chat/messages/${w.roomId}`, { token: w.ta });
    expect(history.body.messages.map((m: { content: string; status: string }) => [m.content, m.status])).toEqual([['private', 'sent']]);
    const members = await t.http('GET', `/chat/groups/${w.groupId}/members`, { token: w.ta });
    expect(members.body).toMatchObject({ members: [w.a, w.b], admins: [w.a] });
    expect((await t.http('GET', `/chat/groups/${w.groupId}/messages`, { token: w.ta })).body.messages).toEqual([]);
    const groups = await t.http('GET', '/chat/groups', { token: w.ta });
    expect(groups.body.groups.map((g: { name: string }) => g.name)).toEqual(['team']);
    // and the invite is still c's to answer
    expect((await t.http('PATCH', `/chat/groups/invite/${w.inviteId}/respond`, { token: w.tc, body: { accept: true } })).status).toBe(202);
  });

  it('API2 broken authentication: every route refuses a missing, forged, alg:none, expired or wrong-audience token', async () => {
    const u = newUserId();
    const good = await t.token(u);
    const claims = { typ: 'access', email: '', role: 'admin', deviceId: '' };
    const bad = {
      missing: undefined,
      forged: good.slice(0, -4) + (good.endsWith('AAAA') ? 'BBBB' : 'AAAA'),
      algNone: jwt.sign(claims, '', { algorithm: 'none', subject: u, issuer: 'chat-auth', audience: 'chat', expiresIn: 600 }),
      expired: t.expiredToken(u),
      wrongAudience: jwt.sign(claims, TEST_JWT_SECRET, { subject: u, issuer: 'chat-auth', audience: 'another-service', expiresIn: 600 }),
      wrongKey: jwt.sign(claims, 'some-other-secret-0123456789abcdef', {
        subject: u,
        issuer: 'chat-auth',
        audience: 'chat',
        expiresIn: 600,
      }),
    };
    for (const r of ROUTES) {
      const path = r.path.replace(/:(\w+)/g, () => u);
      for (const [kind, token] of Object.entries(bad)) {
        const res = await t.http(r.method.toUpperCase(), path, { token, body: r.method === 'get' ? undefined : {} });
        expect({ route: `${r.method} ${r.path}`, kind, status: res.status, code: res.body.error?.code }).toEqual({
          route: `${r.method} ${r.path}`,
          kind,
          status: 401,
          code: 'UNAUTHENTICATED',
        });
      }
    }
    for (const path of ['/admin/api/queues', '/admin/api/dead-letters']) {
      expect((await t.http('GET', path, { token: bad.algNone })).status).toBe(401);
    }
  });

  it('API3 broken object property level authorisation: server-owned fields cannot be set, and responses carry no one else’s account data', async () => {
    const { a, b, ta, roomId } = await t.pair();
    for (const extra of [
      { seq: 1 },
      { status: 'read' },
      { id: 'f'.repeat(24) },
      { createdAt: '2000-01-01T00:00:00Z' },
      { deletedAt: null },
      { readAt: '2000-01-01T00:00:00Z' },
      { replyTo: { id: 'f'.repeat(24), senderId: b, excerpt: 'forged' } },
      { reactions: { '👍': 99 } },
    ]) {
      const r = await t.http('POST', '/chat/messages', {
        token: ta,
        body: { receiverId: b, roomId, content: 'x', clientMsgId: `p-${Object.keys(extra)[0]}`, ...extra },
      });
      expect({ extra, status: r.status, code: r.body.error?.code }).toEqual({ extra, status: 400, code: 'VALIDATION_FAILED' });
    }
    const r = await t.http('POST', '/chat/groups', { token: ta, body: { name: 'g', memberIds: [b], admins: [b] } });
    expect(r.status).toBe(400);
    // a peer's email, role or device never appear in what the API returns about them
    const list = await t.http('GET', `/chat/conversations/${a}`, { token: ta });
    const text = JSON.stringify(list.body);
    expect(text).not.toMatch(/@test|email|deviceId|"role"/);
  });

  it('API4 unrestricted resource consumption: bodies, pages, id lists and message sizes are bounded', async () => {
    const { b, ta, roomId } = await t.pair();
    expect(
      (await t.http('POST', '/chat/messages', { token: ta, raw: JSON.stringify({ receiverId: b, roomId, content: 'x'.repeat(200_000) }) }))
        .status,
    ).toBe(413);
    const long = await t.http('POST', '/chat/messages', {
      token: ta,
      body: { receiverId: b, roomId, content: 'x'.repeat(10_001), clientMsgId: 'big' },
    });
    expect(long.status).toBe(400);
    expect((await t.http('GET', `/chat/messages/${roomId}?limit=101`, { token: ta })).status).toBe(400);
    expect(
      (
        await t.http('PATCH', '/chat/messages/delivered', {
          token: ta,
          body: { messageIds: Array.from({ length: 501 }, () => newUserId()) },
        })
      ).status,
    ).toBe(400);
    const big = await t.http('POST', '/chat/groups', {
      token: ta,
      body: { name: 'huge', memberIds: Array.from({ length: 1_001 }, () => newUserId()) },
    });
    expect(big.status).toBe(400);
  });

  it('API5 broken function level authorisation: admin functions refuse ordinary users, group admin operations refuse members', async () => {
    const w = await world();
    const user = await t.token(newUserId());
    for (const [method, path] of [
      ['GET', '/admin/api/queues'],
      ['GET', '/admin/api/dead-letters'],
      ['POST', '/admin/api/dead-letters/replay'],
      ['GET', '/admin/queues/api/queues'],
    ] as const) {
      const r = await t.http(method, path, { token: user, headers: { 'x-chat-admin': '1' }, body: method === 'POST' ? {} : undefined });
      expect({ path, status: r.status }).toEqual({ path, status: 403 });
    }
    // b is a member, not an admin
    for (const [method, path, body] of [
      ['PATCH', `/chat/groups/${w.groupId}`, { name: 'renamed' }],
      ['POST', `/chat/groups/${w.groupId}/members`, { userIds: [w.c] }],
      ['DELETE', `/chat/groups/${w.groupId}/members/${w.a}`, undefined],
      ['POST', `/chat/groups/${w.groupId}/members/${w.b}/promote`, undefined],
      ['POST', `/chat/groups/${w.groupId}/invite`, { userId: w.c }],
    ] as const) {
      const r = await t.http(method, path, { token: w.tb, body });
      expect({ path, status: r.status }).toEqual({ path, status: 403 });
    }
  });

  it('API6 unrestricted access to sensitive business flows: sending is rate limited per user across edges', async () => {
    const s = new TestStack({ workers: 1, edges: 2, env: { RATE_WRITES_PER_USER: '5', RATE_WINDOW_S: '60' } });
    await s.start();
    try {
      const { b, ta, roomId } = await s.pair();
      const statuses: number[] = [];
      for (let i = 0; i < 8; i++)
        statuses.push(
          (
            await s.http('POST', '/chat/messages', {
              token: ta,
              edge: i % 2,
              body: { receiverId: b, roomId, content: `spam ${i}`, clientMsgId: `s${i}` },
            })
          ).status,
        );
      expect(statuses.filter((x) => x === 202).length).toBeLessThanOrEqual(5);
      expect(statuses.slice(-2)).toEqual([429, 429]);
    } finally {
      await s.stop();
    }
  }, 180_000);

  it('API8 security misconfiguration: hardened headers, no stack traces, no framework banner, unknown methods refused', async () => {
    const r = await t.http('GET', '/chat/messages/zzz', { token: await t.token(newUserId()) });
    expect(r.status).toBe(400);
    expect(r.headers.get('x-powered-by')).toBeNull();
    expect(r.headers.get('x-content-type-options')).toBe('nosniff');
    expect(r.headers.get('strict-transport-security')).toMatch(/max-age=/);
    expect(JSON.stringify(r.body)).not.toMatch(/at \w+ \(|node_modules|\.ts:\d+/);
    // a Content-Security-Policy everywhere: nothing for JSON, Swagger's needs on /docs only, per-page hashes on /admin
    expect(r.headers.get('content-security-policy')).toMatch(/default-src 'none'/);
    const docs = await fetch(`${t.edge(0)}/docs/`);
    expect(docs.headers.get('content-security-policy')).toMatch(/script-src 'self' 'unsafe-inline'/);
    const login = await fetch(`${t.edge(0)}/admin/login`);
    expect(login.headers.get('content-security-policy')).toMatch(/script-src 'self' 'sha256-[\w+/=]+'/);
    expect(login.headers.get('content-security-policy')).not.toMatch(/unsafe-inline/);
    // fetch refuses to send TRACE, so ask with node:http
    const traceStatus = await new Promise<number>((resolve, reject) => {
      const req = request(`${t.edge(0)}/chat/conversations/${newUserId()}`, { method: 'TRACE' }, (res) => {
        res.resume();
        resolve(res.statusCode ?? 0);
      });
      req.on('error', reject);
      req.end();
    });
    expect(traceStatus).toBeGreaterThanOrEqual(400);
    expect(traceStatus).toBeLessThan(500);
    const options = await fetch(`${t.edge(0)}/chat/messages`, {
      method: 'OPTIONS',
      headers: { origin: 'https://evil.example', 'access-control-request-method': 'POST' },
    });
    expect(options.headers.get('access-control-allow-origin')).toBeNull();
  });

  it('API9 improper inventory management: only documented routes exist', async () => {
    const token = await t.token(newUserId());
    const documented = new Set(ROUTES.map((r) => `${r.method} ${r.path}`));
    for (const path of ['/chat/v0/messages', '/chat/debug', '/chat/users', '/api/chat/messages', '/internal/metrics']) {
      const r = await t.http('GET', path, { token });
      expect({ path, status: r.status }).toEqual({ path, status: 404 });
    }
    const doc = await t.http('GET', '/docs/openapi.json');
    const served = Object.entries(doc.body.paths as Record<string, Record<string, unknown>>).flatMap(([p, ops]) =>
      Object.keys(ops).map((m) => `${m} ${p.replace(/\{(\w+)\}/g, ':$1')}`),
    );
    expect(new Set(served)).toEqual(documented);
  });

  it('API10 unsafe consumption of APIs: the edge does not trust what the auth service answers beyond the token it checked', async () => {
    // an answer naming a user id that is not 24-hex is refused even though the signature is good
    const odd = jwt.sign({ typ: 'access', email: '', role: 'user', deviceId: '' }, TEST_JWT_SECRET, {
      subject: 'not-an-object-id',
      issuer: 'chat-auth',
      audience: 'chat',
      expiresIn: 600,
    });
    const r = await t.http('GET', '/chat/groups', { token: odd });
    expect(r.status).toBe(401);
  });
});

/** What one client can cost, counted per client: behind a trusted proxy hop that is the address it forwards. */
describe('limits per client behind a proxy, and what the public port serves', () => {
  const t = new TestStack({
    workers: 1,
    edges: 1,
    env: {
      DEMO_ENABLED: 'true',
      TRUST_PROXY: '127.0.0.1',
      RATE_WINDOW_S: '600',
      RATE_CONNECTS_PER_IP: '2',
      RATE_REST_PER_IP: '5',
      RATE_LOGINS_PER_IP: '3',
      MAX_SOCKETS_PER_USER: '3',
      OFFLINE_INBOX_MAX: '10',
    },
  });
  beforeAll(() => t.start(), 120_000);
  afterAll(() => t.stop(), 60_000);

  // 127.0.0.1 is the trusted proxy hop; 127.0.0.2 (also loopback) is a peer that is not trusted
  const TRUSTED = '127.0.0.1';
  const UNTRUSTED = '127.0.0.2';

  function call(
    method: string,
    path: string,
    o: { from: string; xff?: string; token?: string; form?: string; json?: unknown; headers?: Record<string, string>; base?: string },
  ) {
    const headers: Record<string, string> = { ...o.headers };
    if (o.json !== undefined) {
      headers['content-type'] = 'application/json';
      o = { ...o, form: JSON.stringify(o.json) };
    }
    if (o.xff) headers['x-forwarded-for'] = o.xff;
    if (o.token) headers.authorization = `Bearer ${o.token}`;
    if (o.form !== undefined) headers['content-type'] ??= 'application/x-www-form-urlencoded';
    return new Promise<{ status: number; headers: Record<string, string | string[] | undefined>; body: string }>((resolve, reject) => {
      const req = request(`${o.base ?? t.edge(0)}${path}`, { method, headers, localAddress: o.from }, (res) => {
        let body = '';
        res.on('data', (c) => (body += c));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
      });
      req.on('error', reject);
      req.end(o.form);
    });
  }

  function connect(token: string, from: string, xff: string): Promise<string> {
    return new Promise((resolve) => {
      const s = io(`${t.edge(0)}/chat`, {
        auth: { token },
        transports: ['websocket'],
        reconnection: false,
        forceNew: true,
        localAddress: from,
        extraHeaders: { 'x-forwarded-for': xff },
      } as Parameters<typeof io>[1]);
      s.once('connect', () => resolve('connected'));
      s.once('connect_error', (err: Error & { data?: { code: string } }) => {
        s.close();
        resolve(err.data?.code ?? err.message);
      });
      sockets.push(s);
    });
  }
  const sockets: Socket[] = [];
  afterAll(() => sockets.forEach((s) => s.close()));

  const authRefusals = async () => {
    const text = await (await fetch(`${t.stack.opsUrls.get('auth')}/metrics`)).text();
    const line = text.split('\n').find((l) => l.startsWith('chat_auth_lookups_total{') && l.includes('result="invalid"'));
    return line ? Number(line.slice(line.lastIndexOf(' ') + 1)) : 0;
  };

  it('two clients behind one trusted proxy hop get separate connect buckets; an untrusted peer’s X-Forwarded-For is ignored', async () => {
    const tokens = await Promise.all(Array.from({ length: 7 }, () => t.token(newUserId())));
    expect(await connect(tokens[0], TRUSTED, '198.51.100.1')).toBe('connected');
    expect(await connect(tokens[1], TRUSTED, '198.51.100.1')).toBe('connected');
    expect(await connect(tokens[2], TRUSTED, '198.51.100.1')).toBe('RATE_LIMITED');
    expect(await connect(tokens[3], TRUSTED, '198.51.100.2')).toBe('connected');
    // the untrusted peer names a new address each time: all count against the peer itself
    expect(await connect(tokens[4], UNTRUSTED, '198.51.100.3')).toBe('connected');
    expect(await connect(tokens[5], UNTRUSTED, '198.51.100.4')).toBe('connected');
    expect(await connect(tokens[6], UNTRUSTED, '198.51.100.5')).toBe('RATE_LIMITED');
  });

  it('MAX_SOCKETS_PER_USER holds when one user connects many sockets at once', async () => {
    const token = await t.token(newUserId());
    const results = await Promise.all(Array.from({ length: 10 }, (_, i) => connect(token, TRUSTED, `198.51.100.${200 + i}`)));
    expect(results.filter((r) => r === 'connected')).toHaveLength(3);
    expect(results.filter((r) => r !== 'connected')).toEqual(Array(7).fill('RATE_LIMITED'));
  });

  it('REST limits per client address before checking the token, so a burst of bogus tokens costs the auth service a handful of calls', async () => {
    const u = newUserId();
    const bogus = (i: number) =>
      jwt.sign({ typ: 'access', role: 'admin' }, `wrong-key-${i}-0123456789abcdefghijklmnop`, {
        subject: u,
        issuer: 'chat-auth',
        audience: 'chat',
        expiresIn: 600,
      });
    const before = await authRefusals();
    const statuses: number[] = [];
    for (let i = 0; i < 30; i++)
      statuses.push((await call('GET', '/chat/groups', { from: TRUSTED, xff: '198.51.100.10', token: bogus(i) })).status);
    expect(statuses.slice(0, 5)).toEqual([401, 401, 401, 401, 401]);
    expect(statuses.slice(5)).toEqual(Array(25).fill(429));
    // one bogus token from many addresses: refused once by auth, then from the edge's memory
    for (let i = 0; i < 30; i++)
      expect((await call('GET', '/chat/groups', { from: TRUSTED, xff: `198.51.100.${100 + i}`, token: bogus(99) })).status).toBe(401);
    // 6 when every call answers in time; a call the edge gave up on under load (not remembered: an
    // unavailable auth says nothing about the token) is asked again. Without the limit first: 60
    expect((await authRefusals()) - before).toBeLessThanOrEqual(8);

    // a good token behind another client address is not held back by the flood above
    const good = await t.token(newUserId());
    expect((await call('GET', '/chat/groups', { from: TRUSTED, xff: '198.51.100.11', token: good })).status).toBe(200);
    // an untrusted peer cannot escape its bucket by naming new addresses
    const viaUntrusted: number[] = [];
    for (let i = 0; i < 6; i++)
      viaUntrusted.push((await call('GET', '/chat/groups', { from: UNTRUSTED, xff: `198.51.100.${50 + i}`, token: good })).status);
    expect(viaUntrusted).toEqual([200, 200, 200, 200, 200, 429]);
  });

  it('/admin/login is rate limited per client address, and its cookie is Secure when the trusted proxy says https', async () => {
    const codes: number[] = [];
    for (let i = 0; i < 4; i++)
      codes.push((await call('POST', '/admin/login', { from: TRUSTED, xff: '198.51.100.40', form: 'token=guess' })).status);
    expect(codes).toEqual([303, 303, 303, 429]);
    const admin = await t.token(newUserId(), 'admin');
    const form = `token=${encodeURIComponent(admin)}`;
    const viaProxy = await call('POST', '/admin/login', {
      from: TRUSTED,
      xff: '198.51.100.41',
      form,
      headers: { 'x-forwarded-proto': 'https' },
    });
    expect(String(viaProxy.headers['set-cookie'])).toMatch(/;\s*Secure/i);
    const spoofed = await call('POST', '/admin/login', { from: UNTRUSTED, form, headers: { 'x-forwarded-proto': 'https' } });
    expect(String(spoofed.headers['set-cookie'])).toMatch(/chat_admin=/);
    expect(String(spoofed.headers['set-cookie'])).not.toMatch(/;\s*Secure/i);
  });

  it('the /demo and /admin pages run only their own inline code (CSP hashes); only /docs allows Swagger’s inline code', async () => {
    const csp = async (path: string) => String((await call('GET', path, { from: TRUSTED })).headers['content-security-policy']);
    for (const path of ['/demo', '/admin/login']) {
      const policy = await csp(path);
      expect([path, policy]).toEqual([path, expect.stringMatching(/script-src 'self' 'sha256-[\w+/=]+'/)]);
      expect([path, /unsafe-inline|unsafe-eval/.test(policy), /default-src 'none'/.test(policy)]).toEqual([path, false, true]);
    }
    expect(await csp('/demo/users')).toMatch(/^default-src 'none'/);
    expect(await csp('/docs/')).toMatch(/script-src 'self' 'unsafe-inline'/);
  });

  it('the offline inbox is capped per user and read in pages; what the cap dropped still arrives from the store', async () => {
    const { b, ta, tb, roomId } = await t.pair();
    for (let i = 0; i < 15; i++) {
      const r = await call('POST', '/chat/messages', {
        from: TRUSTED,
        xff: `198.51.100.${150 + i}`,
        token: ta,
        json: { receiverId: b, roomId, content: `m${i}`, clientMsgId: `c${i}` },
      });
      expect(r.status).toBe(202);
    }
    const page = async (q: string, i: number) =>
      JSON.parse((await call('GET', `/chat/offline/${b}${q}`, { from: TRUSTED, xff: `198.51.101.${i}`, token: tb })).body);
    const newest = Array.from({ length: 10 }, (_, i) => `m${i + 5}`);
    let n = 0;
    await eventually(
      async () =>
        JSON.stringify((await page('', n++ % 200)).messages.map((m: { content: string }) => m.content)) === JSON.stringify(newest),
      'the newest ten parked',
    );
    const first = await page('?limit=4', 200);
    expect([first.messages.map((m: { content: string }) => m.content), first.hasMore]).toEqual([newest.slice(0, 4), true]);
    const last = await page('?limit=4&offset=8', 201);
    expect([last.messages.map((m: { content: string }) => m.content), last.hasMore]).toEqual([newest.slice(8), false]);
    const bob = await t.connect(tb);
    await bob.waitFor(() => bob.received.length >= 15, 'all fifteen from the store');
    expect(bob.received.map((m) => m.content)).toEqual(Array.from({ length: 15 }, (_, i) => `m${i}`));
  });

  it('/metrics, /readyz and /healthz are not on the public port; the ops port serves them', async () => {
    for (const path of ['/metrics', '/readyz', '/healthz']) {
      expect({ path, status: (await call('GET', path, { from: TRUSTED })).status }).toEqual({ path, status: 404 });
      expect({ path, status: (await call('GET', path, { from: TRUSTED, base: t.stack.opsUrls.get('edge-1') })).status }).toEqual({
        path,
        status: 200,
      });
    }
  });
});
