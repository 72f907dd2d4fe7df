import * as grpc from '@grpc/grpc-js';
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { Redis } from 'ioredis';
import { join } from 'node:path';
import jwt from 'jsonwebtoken';
import { io, type Socket } from 'socket.io-client';
import { createAuthClient, type AuthServiceClient } from '@chat/auth';
import { DEFAULT_PARTITIONS, type MessageView } from '@chat/contracts';
import { removeNamespace, REPO_ROOT, Stack, type StackOptions } from '@chat/stack';
import { HookReceiver } from './hook-receiver';
import { TcpProxy } from './tcp-proxy';

export const TEST_JWT_SECRET = 'integration-test-secret-0123456789';
/** What a stack started with `outbound: true` signs its webhooks and push notifications with. */
export const TEST_WEBHOOK_SECRET = 'integration-webhook-secret-0123456789';
export const TEST_PUSH_SECRET = 'integration-push-secret-0123456789';

export function newUserId(): string {
  return randomBytes(12).toString('hex');
}

export interface HttpResult<T = any> {
  status: number;
  body: T;
  headers: Headers;
}

/** A running stack for one test file, on its own namespace (queues, Redis keys, database), removed at the end. */
export class TestStack {
  readonly namespace = `t${randomBytes(4).toString('hex')}`;
  /** The partition count the stack's services run with (a test that changes it says so, for the cleanup). */
  partitions = DEFAULT_PARTITIONS;
  stack!: Stack;
  private auth!: AuthServiceClient;
  private readonly clients: TestClient[] = [];
  private urls!: { mongoUrl: string; redisUrl: string; rabbitUrl: string };

  /** With `outbound: true`: the receivers WEBHOOK_URLS and PUSH_URL point at (started and stopped with the stack). */
  readonly webhooks = new HookReceiver();
  readonly push = new HookReceiver();

  constructor(
    private readonly opts: Partial<StackOptions> & {
      mongoPort?: number;
      outbound?: boolean;
      /** With `outbound`: more webhook receivers after the stack's own (WEBHOOK_URLS). */
      moreWebhookUrls?: string[];
    } = {},
  ) {}

  async start(): Promise<this> {
    const base = process.env.TEST_MONGO_URL;
    if (!base) throw new Error('TEST_MONGO_URL is not set: run through jest (global setup)');
    const mongo = new URL(base);
    mongo.pathname = `/${this.namespace}`;
    if (this.opts.mongoPort) mongo.port = String(this.opts.mongoPort);
    this.urls = { mongoUrl: mongo.toString(), redisUrl: process.env.TEST_REDIS_URL!, rabbitUrl: process.env.TEST_RABBITMQ_URL! };
    const outbound: Record<string, string> = {};
    if (this.opts.outbound) {
      await Promise.all([this.webhooks.start(), this.push.start()]);
      Object.assign(outbound, {
        WEBHOOK_URLS: [this.webhooks.url, ...(this.opts.moreWebhookUrls ?? [])].join(','),
        WEBHOOK_SECRET: TEST_WEBHOOK_SECRET,
        PUSH_URL: this.push.url,
        PUSH_SECRET: TEST_PUSH_SECRET,
      });
    }
    this.stack = new Stack({
      namespace: this.namespace,
      ...this.urls,
      edges: 2,
      workers: 2,
      logDir: join(REPO_ROOT, '.data', 'test-logs', this.namespace),
      ...this.opts,
      env: { JWT_SECRET: TEST_JWT_SECRET, LOG_LEVEL: 'info', ...outbound, ...this.opts.env },
    });
    try {
      await this.stack.start();
    } catch (err) {
      await this.stack.stop();
      throw err;
    }
    this.auth = createAuthClient(this.stack.authAddress);
    return this;
  }

  async stop(): Promise<void> {
    for (const c of this.clients) c.close();
    this.auth?.close();
    await this.stack?.stop();
    await Promise.all([this.webhooks.stop(), this.push.stop()]);
    if (this.urls) await removeNamespace({ namespace: this.namespace, ...this.urls, partitions: this.partitions }).catch(() => undefined);
  }

  edge(i = 0): string {
    return this.stack.edgeUrls[i];
  }

  /** The store this stack's services use (its own database), for tests that check what is stored. */
  get storeUrl(): string {
    return this.urls.mongoUrl;
  }

  /** The JSON log lines one process of this stack wrote that mention `needle`. */
  logLines(process: string, needle: string): Array<Record<string, unknown>> {
    let text: string;
    try {
      text = readFileSync(join(REPO_ROOT, '.data', 'test-logs', this.namespace, `${process}.log`), 'utf8');
    } catch {
      return [];
    }
    return text
      .split('\n')
      .filter((l) => l.includes(needle) && l.startsWith('{'))
      .map((l) => JSON.parse(l) as Record<string, unknown>);
  }

  /** How many live sockets the stack's presence holds for a user (fanout counts the user online while any). */
  async presence(userId: string): Promise<number> {
    const r = new Redis(process.env.TEST_REDIS_URL!);
    try {
      return await r.zcount(`${this.namespace}:presence:${userId}`, Date.now(), '+inf');
    } finally {
      r.disconnect();
    }
  }

  /** A metric summed over every sample of it from the processes whose name starts with `prefix`. */
  async metricSum(prefix: string, metric: string): Promise<number> {
    let total = 0;
    for (const [name, url] of this.stack.opsUrls) {
      if (!name.startsWith(prefix)) continue;
      const text = await fetch(`${url}/metrics`, { signal: AbortSignal.timeout(5000) }).then((r) => r.text());
      for (const line of text.split('\n'))
        if (line.startsWith(`${metric}{`) || line.startsWith(`${metric} `)) total += Number(line.slice(line.lastIndexOf(' ') + 1)) || 0;
    }
    return total;
  }

  /** An access token from the auth service over gRPC, as a client would get it. */
  token(userId: string, role: 'user' | 'admin' = 'user'): Promise<string> {
    return new Promise((resolve, reject) =>
      this.auth.GenerateToken(
        { userId, email: `${userId}@test`, role },
        new grpc.Metadata(),
        { deadline: Date.now() + 5000 },
        (err, res) => (err ? reject(err) : resolve(res!.access_token)),
      ),
    );
  }

  expiredToken(userId: string): string {
    return jwt.sign({ typ: 'access', email: '', role: 'user', deviceId: '', exp: Math.floor(Date.now() / 1000) - 60 }, TEST_JWT_SECRET, {
      subject: userId,
      issuer: 'chat-auth',
      audience: 'chat',
    });
  }

  async http<T = any>(
    method: string,
    path: string,
    o: { token?: string; body?: unknown; raw?: string; edge?: number; headers?: Record<string, string> } = {},
  ): Promise<HttpResult<T>> {
    const headers: Record<string, string> = { ...o.headers };
    if (o.token) headers.authorization = `Bearer ${o.token}`;
    let body: string | undefined;
    if (o.raw !== undefined) {
      body = o.raw;
      headers['content-type'] ??= 'application/json';
    } else if (o.body !== undefined) {
      body = JSON.stringify(o.body);
      headers['content-type'] = 'application/json';
    }
    let res = await fetch(`${this.edge(o.edge ?? 0)}${path}`, { method, headers, body, signal: AbortSignal.timeout(20_000) });
    // a BUSY refusal (nothing accepted) is retried after the delay named, as a client must
    for (let attempt = 0; res.status === 503 && attempt < 30; attempt++) {
      const refusal = (await res
        .clone()
        .json()
        .catch(() => null)) as { error?: { code?: string; retryAfterMs?: number } } | null;
      if (refusal?.error?.code !== 'BUSY') break;
      await new Promise((r) => setTimeout(r, Math.min(2000, Math.max(100, refusal.error?.retryAfterMs ?? 500))));
      res = await fetch(`${this.edge(o.edge ?? 0)}${path}`, { method, headers, body, signal: AbortSignal.timeout(20_000) });
    }
    const text = await res.text();
    let parsed: unknown = text;
    try {
      parsed = JSON.parse(text);
    } catch {
      // keep text
    }
    return { status: res.status, body: parsed as T, headers: res.headers };
  }

  /** These users let anyone add them to a group (groupAdds: 'everyone'), as tests of group features need. */
  async letAnyoneAdd(...tokens: string[]): Promise<void> {
    await Promise.all(tokens.map((token) => this.http('PATCH', '/chat/me/settings', { token, body: { groupAdds: 'everyone' } })));
  }

  /** Every message stored in a room, oldest first, read page by page through the history API. */
  async storedMessages(roomId: string, token: string): Promise<MessageView[]> {
    const out: MessageView[] = [];
    let after = 0;
    for (;;) {
      const page = await this.http('GET', `/chat/messages/${roomId}?limit=100&after=${after}`, { token });
      out.push(...page.body.messages);
      if (!page.body.hasMore) return out;
      after = page.body.messages[page.body.messages.length - 1].seq;
    }
  }

  /** A user with a token and an open conversation with a peer. */
  async pair(): Promise<{ a: string; b: string; ta: string; tb: string; roomId: string }> {
    const a = newUserId();
    const b = newUserId();
    const [ta, tb] = await Promise.all([this.token(a), this.token(b)]);
    const r = await this.http('POST', '/chat/conversation', { token: ta, body: { user1: a, user2: b } });
    if (r.status !== 200) throw new Error(`conversation: ${r.status} ${JSON.stringify(r.body)}`);
    return { a, b, ta, tb, roomId: r.body.conversation.id };
  }

  /** `since`: what the device already has, per room (the handshake's `since`), as an app sends it on reconnect. */
  async connect(token: string, edge = 0, o: { ackReceives?: boolean; since?: Record<string, number> } = {}): Promise<TestClient> {
    const c = new TestClient(`${this.edge(edge)}/chat`, token, o.ackReceives ?? true, o.since);
    this.clients.push(c);
    await c.connected();
    return c;
  }
}

/** A Socket.IO client as an app would run it: websocket transport, token in the handshake. */
export class TestClient {
  readonly socket: Socket;
  readonly received: MessageView[] = [];
  readonly sent: MessageView[] = [];

  constructor(url: string, token: string, ackReceives: boolean, since?: Record<string, number>) {
    this.socket = io(url, { auth: { token, ...(since ? { since } : {}) }, transports: ['websocket'], reconnection: false, forceNew: true });
    this.socket.on('receive_message', (p: { message: MessageView }, ack?: () => void) => {
      this.received.push(p.message);
      if (ackReceives) ack?.();
    });
    this.socket.on('message_sent', (p: { message: MessageView }) => this.sent.push(p.message));
  }

  connected(): Promise<void> {
    return new Promise((resolve, reject) => {
      this.socket.once('connect', () => resolve());
      this.socket.once('connect_error', (err) => reject(err));
    });
  }

  /**
   * Emits with an acknowledgement and resolves with the server's answer. A BUSY refusal (the store is
   * behind: nothing was accepted) is retried after the delay the edge names, as a client must; the fault
   * tests that count refusals use their own client (load-client.ts).
   */
  async request<T = any>(event: string, payload: unknown, timeoutMs = 10000): Promise<T> {
    for (let attempt = 0; ; attempt++) {
      const answer = (await this.socket.timeout(timeoutMs).emitWithAck(event, payload)) as {
        ok?: boolean;
        error?: { code?: string; retryAfterMs?: number };
      };
      if (answer?.ok !== false || answer.error?.code !== 'BUSY' || attempt >= 30) return answer as T;
      await new Promise((r) => setTimeout(r, Math.min(2000, Math.max(100, answer.error?.retryAfterMs ?? 500))));
    }
  }

  /**
   * Waits (up to `timeoutMs`) for every acknowledged message, then a little longer for strays, and checks
   * that this client got each exactly once, in the order they were acknowledged, without reconnecting.
   */
  async expectReceivedInOrder(acked: MessageView[], timeoutMs = 30000): Promise<void> {
    await this.waitFor(
      () => new Set(this.received.map((m) => m.id)).size >= acked.length,
      `all ${acked.length} acknowledged messages`,
      timeoutMs,
    ).catch(() => undefined);
    await new Promise((r) => setTimeout(r, 1000));
    const got = new Set(this.received.map((m) => m.id));
    expect(acked.filter((m) => !got.has(m.id)).map((m) => m.content)).toEqual([]);
    expect(this.received.map((m) => m.content)).toEqual(acked.map((m) => m.content));
    expect(this.socket.connected).toBe(true);
  }

  async waitFor(pred: () => boolean, what: string, timeoutMs = 30000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (!pred()) {
      if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
      await new Promise((r) => setTimeout(r, 25));
    }
  }

  close(): void {
    this.socket.close();
  }
}

/** Waits, polling, until `pred` holds. */
export async function eventually(pred: () => Promise<boolean> | boolean, what: string, timeoutMs = 30000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await pred())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/**
 * A stack whose store is reached through a relay the test can cut, for the current describe block: set up
 * in beforeAll, torn down in afterAll. The returned getters are valid inside the tests.
 */
export function stackBehindStoreRelay(opts: { workers?: number; env?: Record<string, string>; outbound?: boolean }): {
  stack: () => TestStack;
  store: () => TcpProxy;
} {
  const mongoUrl = new URL(process.env.TEST_MONGO_URL ?? 'mongodb://127.0.0.1:27019/chat_test');
  const store = new TcpProxy(mongoUrl.hostname, Number(mongoUrl.port || 27017));
  let t: TestStack | undefined;
  beforeAll(async () => {
    await store.start();
    t = await new TestStack({ workers: opts.workers ?? 1, mongoPort: store.port, env: opts.env ?? {}, outbound: opts.outbound }).start();
  }, 120_000);
  afterAll(async () => {
    store.restore();
    await t?.stop();
    await store.stop();
  }, 60_000);
  return { stack: () => t!, store: () => store };
}
