import * as grpc from '@grpc/grpc-js';
import jwt from 'jsonwebtoken';
import { randomBytes } from 'node:crypto';
import { io } from 'socket.io-client';
import { createAuthClient, type AuthServiceClient } from '@chat/auth';
import { eventually, newUserId, TestStack } from './support/harness';

function connectError(url: string, auth: Record<string, unknown>): Promise<{ message: string; data?: { code: string } }> {
  return new Promise((resolve, reject) => {
    const s = io(url, { auth, transports: ['websocket'], reconnection: false, forceNew: true });
    s.once('connect', () => {
      s.close();
      reject(new Error('connected without a valid token'));
    });
    s.once('connect_error', (err: Error & { data?: { code: string } }) => {
      s.close();
      resolve({ message: err.message, data: err.data });
    });
  });
}

/** Identity comes from the token only, and only participants touch a room. */
describe('authentication and authorisation', () => {
  const t = new TestStack();
  beforeAll(() => t.start(), 120_000);
  afterAll(() => t.stop(), 60_000);

  it('refuses requests and sockets with no token, a bad token or an expired token', async () => {
    const u = newUserId();
    const forged = (await t.token(u)).slice(0, -4) + 'AAAA';
    for (const token of [undefined, 'not-a-jwt', forged, t.expiredToken(u)]) {
      const r = await t.http('GET', `/chat/conversations/${u}`, { token });
      expect(r.status).toBe(401);
      expect(r.body.error.code).toBe('UNAUTHENTICATED');
      const e = await connectError(`${t.edge(1)}/chat`, token === undefined ? {} : { token });
      expect(e.data?.code).toBe('UNAUTHENTICATED');
    }
  });

  it('fails closed while the auth service is down and recovers when it is back', async () => {
    const u = newUserId();
    const fresh = await t.token(u); // never used, so no edge has it cached
    const fresh2 = await t.token(u);
    await t.stack.kill('auth', 'SIGTERM');
    try {
      const r = await t.http('GET', `/chat/conversations/${u}`, { token: fresh });
      expect(r.status).toBe(503);
      expect(r.body.error.code).toBe('UNAVAILABLE');
      const e = await connectError(`${t.edge(0)}/chat`, { token: fresh2 });
      expect(e.data?.code).toBe('UNAVAILABLE');
    } finally {
      await t.stack.restart('auth');
    }
    await eventually(async () => (await t.http('GET', `/chat/conversations/${u}`, { token: fresh })).status === 200, 'auth back', 20_000);
    const c = await t.connect(fresh2, 0);
    expect(c.socket.connected).toBe(true);
  });

  it('keeps outsiders out of a room: no reading, posting, listing or joining as someone else', async () => {
    const { a, b, ta, roomId } = await t.pair();
    const mallory = newUserId();
    const tm = await t.token(mallory);

    const read = await t.http('GET', `/chat/messages/${roomId}`, { token: tm });
    expect([403, 404]).toContain(read.status);
    const post = await t.http('POST', '/chat/messages', { token: tm, body: { receiverId: b, roomId, content: 'hi', clientMsgId: 'm1' } });
    expect([403, 404]).toContain(post.status);
    const list = await t.http('GET', `/chat/conversations/${a}`, { token: tm });
    expect(list.status).toBe(403);
    const offline = await t.http('GET', `/chat/offline/${b}`, { token: tm });
    expect(offline.status).toBe(403);
    const open = await t.http('POST', '/chat/conversation', { token: tm, body: { user1: a, user2: b } });
    expect(open.status).toBe(403);
    const asQuery = await t.http('GET', `/chat/messages/${roomId}?userId=${a}`, { token: tm });
    expect([403, 404]).toContain(asQuery.status);

    const sock = await t.connect(tm, 1);
    const viaSocket = await sock.request('send_message', { receiverId: b, roomId, content: 'hi', clientMsgId: 'm2' });
    expect(viaSocket.ok).toBe(false);
    expect(['FORBIDDEN', 'NOT_FOUND']).toContain(viaSocket.error.code);

    // and nothing reached the room
    const history = await t.http('GET', `/chat/messages/${roomId}`, { token: ta });
    expect(history.body.messages).toHaveLength(0);
  });

  it('refuses a spoofed senderId with 403', async () => {
    const { a, b, tb, roomId } = await t.pair();
    const r = await t.http('POST', '/chat/messages', {
      token: tb,
      body: { senderId: a, receiverId: a, roomId, content: 'as alice', clientMsgId: 's1' },
    });
    expect(r.status).toBe(403);
    expect(r.body.error.code).toBe('FORBIDDEN');
    const own = await t.http('POST', '/chat/messages', {
      token: tb,
      body: { senderId: b, receiverId: a, roomId, content: 'as bob', clientMsgId: 's2' },
    });
    expect(own.status).toBe(202);
    expect(own.body.message.senderId).toBe(b);
  });
});

/** GenerateToken signs any identity, so in production only a caller holding the credential may use it. */
describe('token minting', () => {
  const mintKey = randomBytes(32).toString('base64url');
  const adminKey = randomBytes(32).toString('base64url');
  const secret = randomBytes(48).toString('base64');
  const lines: string[] = [];
  // the auth service alone (no edges or workers): production mode refuses RabbitMQ's guest account
  const prod = new TestStack({
    edges: 0,
    workers: 0,
    env: { NODE_ENV: 'production', JWT_SECRET: secret, AUTH_MINT_KEY: mintKey, AUTH_ADMIN_MINT_KEY: adminKey },
    onLine: (name, line) => void lines.push(line),
  });
  let client: AuthServiceClient;
  beforeAll(async () => {
    await prod.start();
    client = createAuthClient(prod.stack.authAddress);
  }, 120_000);
  afterAll(async () => {
    client?.close();
    await prod.stop();
  }, 60_000);

  const mint = (role: string, key?: string) =>
    new Promise<{ ok: boolean; code?: number }>((resolve) => {
      const md = new grpc.Metadata();
      if (key !== undefined) md.set('x-chat-mint-key', key);
      client.GenerateToken({ userId: newUserId(), email: '', role }, md, { deadline: Date.now() + 5000 }, (err, res) =>
        resolve(err ? { ok: false, code: err.code } : { ok: Boolean(res?.access_token) }),
      );
    });

  it('in production, refuses a caller without the credential, and mints admin only for the admin credential', async () => {
    expect(await mint('admin')).toEqual({ ok: false, code: grpc.status.UNAUTHENTICATED });
    expect(await mint('user')).toEqual({ ok: false, code: grpc.status.UNAUTHENTICATED });
    expect(await mint('admin', `${mintKey}x`)).toEqual({ ok: false, code: grpc.status.UNAUTHENTICATED });
    expect(await mint('admin', mintKey)).toEqual({ ok: false, code: grpc.status.PERMISSION_DENIED });
    expect(await mint('user', mintKey)).toEqual({ ok: true });
    expect(await mint('admin', adminKey)).toEqual({ ok: true });
    expect(lines.some((l) => l.includes('GenerateToken requires'))).toBe(true);
  });

  it('answers an access token and no refresh token; a refresh token signed with the same key is refused', async () => {
    const userId = newUserId();
    const res = await new Promise<{ access_token: string; refresh_token: string }>((resolve, reject) => {
      const md = new grpc.Metadata();
      md.set('x-chat-mint-key', mintKey);
      client.GenerateToken({ userId, email: '', role: 'user' }, md, { deadline: Date.now() + 5000 }, (err, r) =>
        err ? reject(err) : resolve(r!),
      );
    });
    expect(res.refresh_token).toBe('');
    const validate = (token: string) =>
      new Promise<{ userId?: string; code?: number }>((resolve) =>
        client.ValidateToken({ access_token: token }, new grpc.Metadata(), { deadline: Date.now() + 5000 }, (err, r) =>
          resolve(err ? { code: err.code } : { userId: r!.userId }),
        ),
      );
    expect(await validate(res.access_token)).toEqual({ userId });
    // what the service used to hand out next to the access token: a day-long token nothing could revoke
    const refresh = jwt.sign({ typ: 'refresh' }, secret, { subject: userId, issuer: 'chat-auth', audience: 'chat', expiresIn: 86_400 });
    expect(await validate(refresh)).toEqual({ code: grpc.status.UNAUTHENTICATED });
  });

  it('in development, stays open for npm run token and says so when it starts', async () => {
    const devLines: string[] = [];
    const dev = new TestStack({ edges: 0, workers: 0, onLine: (_n, l) => void devLines.push(l) });
    await dev.start();
    try {
      expect(await dev.token(newUserId(), 'admin')).toMatch(/^ey/);
      expect(devLines.some((l) => l.includes('GenerateToken is open (development)'))).toBe(true);
    } finally {
      await dev.stop();
    }
  });
});
