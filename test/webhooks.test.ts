import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { verifyOutbound } from '@chat/delivery';
import { Redis } from 'ioredis';
import { deleteKeys, freePort } from '@chat/stack';
import type { HookRequest } from './support/hook-receiver';
import { eventually, newUserId, TEST_WEBHOOK_SECRET, TestStack } from './support/harness';

const EXAMPLE = join(__dirname, '..', 'examples', 'webhook-receiver.js');
const ATTEMPTS = 5;

const verified = (r: HookRequest, secret = TEST_WEBHOOK_SECRET) =>
  verifyOutbound(secret, Number(r.headers['x-chat-timestamp']), r.raw, String(r.headers['x-chat-signature']));
const eventsOf = (r: HookRequest): any[] => (Array.isArray(r.body?.events) ? r.body.events : []);
const webhookId = (r: HookRequest) => String(r.headers['x-chat-webhook-id']);
const createdFor = (messageId: string) => (e: any) => e.type === 'message.created' && e.data.message.id === messageId;

/**
 * Signed outgoing webhooks against the real stack: a loopback receiver (and the README's example receiver)
 * in WEBHOOK_URLS get every event batch, signed; a receiver that fails or is down gets the same delivery
 * again later under the same X-Chat-Webhook-Id, until it takes it or the attempts run out (a dead letter,
 * listed and replayed at /admin).
 */
describe('signed outgoing webhooks', () => {
  let examplePort = 0;
  let example: ChildProcess | undefined;
  const exampleOut: string[] = [];
  let t: TestStack;

  beforeAll(async () => {
    examplePort = await freePort();
    example = spawn(process.execPath, [EXAMPLE], {
      env: { ...process.env, WEBHOOK_SECRET: TEST_WEBHOOK_SECRET, PORT: String(examplePort) },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    example.stdout!.on('data', (b: Buffer) => exampleOut.push(...b.toString().split('\n').filter(Boolean)));
    t = new TestStack({
      outbound: true,
      moreWebhookUrls: [`http://127.0.0.1:${examplePort}/`],
      env: { OUTBOUND_ATTEMPTS: String(ATTEMPTS) },
    });
    await t.start();
  }, 120_000);
  afterAll(async () => {
    example?.kill();
    await t?.stop();
  }, 60_000);

  let operator = '';
  beforeAll(async () => {
    operator = await t.token(newUserId(), 'admin');
  });
  const admin = (method: string, path: string, token = operator) =>
    t.http(method, `/admin/api${path}`, { token, headers: method === 'GET' ? {} : { 'x-chat-admin': '1' } });

  async function send(token: string, receiverId: string, roomId: string, content: string): Promise<string> {
    const r = await t.http('POST', '/chat/messages', { token, body: { receiverId, roomId, content } });
    expect(r.status).toBe(202);
    return r.body.message.id as string;
  }
  /** The requests (answered or not) whose body tells `pred`. */
  const requestsWith = (pred: (e: any) => boolean) => t.webhooks.requests.filter((r) => eventsOf(r).some(pred));
  const acceptedWith = (pred: (e: any) => boolean) => t.webhooks.accepted.filter((r) => eventsOf(r).some(pred));

  /** Failed outbound attempts the fanout processes counted (retried or dead). */
  async function failedAttempts(): Promise<number> {
    let total = 0;
    for (const [name, url] of t.stack.opsUrls) {
      if (!name.startsWith('fanout')) continue;
      const text = await fetch(`${url}/metrics`).then((r) => r.text());
      for (const line of text.split('\n'))
        if (line.startsWith('chat_outbound_total{') && /outcome="(retry|dead)"/.test(line))
          total += Number(line.slice(line.lastIndexOf(' ') + 1));
    }
    return total;
  }

  it('tells each stored message once as message.created, signed over timestamp and body with WEBHOOK_SECRET', async () => {
    const { a, b, ta, roomId } = await t.pair();
    const ids: string[] = [];
    for (let i = 0; i < 3; i++) ids.push(await send(ta, b, roomId, `hello ${i}`));
    await eventually(() => ids.every((id) => acceptedWith(createdFor(id)).length > 0), 'every message told');

    const requests = ids.flatMap((id) => acceptedWith(createdFor(id)));
    for (const r of requests) {
      expect(r.headers['content-type']).toBe('application/json');
      expect(verified(r)).toBe(true);
      expect(verified(r, 'not-the-webhook-secret-0123456789')).toBe(false);
    }
    const events = requests.flatMap(eventsOf).filter((e) => ids.some((id) => createdFor(id)(e)));
    // one id per message (a repeat would carry the same id), each with the message as stored
    const byMessage = new Map(events.map((e) => [e.data.message.id, e]));
    expect(new Set(events.map((e) => e.id)).size).toBe(byMessage.size);
    expect(byMessage.size).toBe(3);
    for (const [i, id] of ids.entries())
      expect(byMessage.get(id)).toMatchObject({
        id: expect.stringMatching(/^[0-9a-f]{32}$/),
        type: 'message.created',
        createdAt: expect.any(String),
        data: { message: { id, roomId, senderId: a, receiverId: b, content: `hello ${i}`, seq: i + 1 } },
      });
    // one webhook id per delivery: different batches never share one
    const byDelivery = new Map<string, string>();
    for (const r of t.webhooks.accepted) {
      const key = eventsOf(r)
        .map((e) => e.id)
        .join(',');
      expect(byDelivery.get(webhookId(r)) ?? key).toBe(key);
      byDelivery.set(webhookId(r), key);
    }
  }, 60_000);

  it('tells edits, deletes, reads, group renames and reports', async () => {
    const { a, b, ta, tb, roomId } = await t.pair();
    const m1 = await send(ta, b, roomId, 'first');
    const m2 = await send(ta, b, roomId, 'second');
    await eventually(() => acceptedWith(createdFor(m2)).length > 0, 'created');
    const told = (type: string, pred: (e: any) => boolean) => t.webhooks.events().find((e) => e.type === type && pred(e));

    expect((await t.http('PUT', `/chat/message/${m1}`, { token: ta, body: { content: 'first, edited' } })).status).toBe(202);
    await eventually(() => Boolean(told('message.updated', (e) => e.data.messageId === m1)), 'message.updated');
    expect(told('message.updated', (e) => e.data.messageId === m1)!.data).toMatchObject({ roomId, actorId: a, content: 'first, edited' });

    expect((await t.http('DELETE', `/chat/message/${m2}/${a}`, { token: ta })).status).toBe(202);
    await eventually(() => Boolean(told('message.deleted', (e) => e.data.messageId === m2)), 'message.deleted');
    expect(told('message.deleted', (e) => e.data.messageId === m2)!.data).toMatchObject({
      roomId,
      actorId: a,
      deletedAt: expect.any(String),
    });

    expect((await t.http('PATCH', `/chat/message/read/${m1}`, { token: tb })).status).toBe(202);
    await eventually(() => Boolean(told('message.read', (e) => e.data.roomId === roomId && e.data.userId === b)), 'message.read');
    expect(told('message.read', (e) => e.data.roomId === roomId)!.data).toMatchObject({ upToSeq: 1, messageId: m1 });

    const report = await t.http('POST', `/chat/message/${m1}/report`, { token: tb, body: { reason: 'spam' } });
    expect(report.status).toBe(202);
    await eventually(() => Boolean(told('report.created', (e) => e.data.reportId === report.body.reportId)), 'report.created');
    expect(told('report.created', (e) => e.data.reportId === report.body.reportId)!.data).toMatchObject({
      messageId: m1,
      roomId,
      reporterId: b,
      reason: 'spam',
    });

    await t.letAnyoneAdd(tb);
    const group = await t.http('POST', '/chat/groups', { token: ta, body: { name: 'hooks', memberIds: [b] } });
    expect(group.status).toBe(202);
    const groupId = group.body.groupId as string;
    expect(groupId).toEqual(expect.any(String));
    await eventually(() => Boolean(told('group.updated', (e) => e.data.groupId === groupId)), 'group created');
    expect((await t.http('PATCH', `/chat/groups/${groupId}`, { token: ta, body: { name: 'hooks, renamed' } })).status).toBe(202);
    await eventually(() => Boolean(told('group.updated', (e) => e.data.groupId === groupId && e.data.op === 'rename')), 'group.updated');
    expect(told('group.updated', (e) => e.data.op === 'rename' && e.data.groupId === groupId)!.data).toMatchObject({
      actorId: a,
      group: { id: groupId, name: 'hooks, renamed' },
    });
  }, 90_000);

  it('a failing receiver gets the same delivery again under the same X-Chat-Webhook-Id until it takes it', async () => {
    const { b, ta, roomId } = await t.pair();
    t.webhooks.status = 500;
    let id: string;
    try {
      id = await send(ta, b, roomId, 'refused twice');
      await eventually(() => requestsWith(createdFor(id)).length >= 2, 'two failed attempts');
    } finally {
      t.webhooks.status = 204;
    }
    await eventually(() => acceptedWith(createdFor(id)).length > 0, 'taken on a retry');
    const tries = requestsWith(createdFor(id));
    expect(tries.slice(0, 2).map((r) => r.status)).toEqual([500, 500]);
    expect(new Set(tries.map(webhookId)).size).toBe(1);
    expect(tries.every((r) => verified(r))).toBe(true);
  }, 60_000);

  it('a receiver that was down misses nothing once it is back', async () => {
    const { b, ta, roomId } = await t.pair();
    const before = await failedAttempts();
    await t.webhooks.stop();
    const ids: string[] = [];
    try {
      for (let i = 0; i < 5; i++) ids.push(await send(ta, b, roomId, `while down ${i}`));
      // down for as long as it takes the deliveries to fail twice
      await eventually(async () => (await failedAttempts()) >= before + 2, 'failed attempts while down');
    } finally {
      await t.webhooks.start();
    }
    await eventually(() => ids.every((id) => acceptedWith(createdFor(id)).length > 0), 'every message told after the receiver came back');
    expect(t.webhooks.events().filter((e) => ids.some((id) => createdFor(id)(e))).length).toBeGreaterThanOrEqual(ids.length);
  }, 90_000);

  it('Redis coming back empty loses no delivery queued shortly before: each process queues its recent ones again', async () => {
    const { b, ta, roomId } = await t.pair();
    const before = await failedAttempts();
    await t.webhooks.stop();
    const ids: string[] = [];
    try {
      for (let i = 0; i < 3; i++) ids.push(await send(ta, b, roomId, `before the loss ${i}`));
      await eventually(async () => (await failedAttempts()) >= before + 1, 'waiting for a retry');
      // as a restart without persistence: every key of the stack gone, the waiting deliveries with them
      const redis = new Redis(process.env.TEST_REDIS_URL!);
      try {
        await deleteKeys(redis, `${t.namespace}:*`);
      } finally {
        redis.disconnect();
      }
    } finally {
      await t.webhooks.start();
    }
    await eventually(() => ids.every((id) => acceptedWith(createdFor(id)).length > 0), 'every message told after the loss');
  }, 90_000);

  it(`after ${ATTEMPTS} failed attempts a delivery is a dead letter at /admin, and a replay delivers it`, async () => {
    const { b, ta, roomId } = await t.pair();
    t.webhooks.status = 503;
    let id = '';
    let deliveryId = '';
    let dead: any;
    try {
      id = await send(ta, b, roomId, 'dead letter');
      await eventually(() => requestsWith(createdFor(id)).length > 0, 'first attempt');
      deliveryId = webhookId(requestsWith(createdFor(id))[0]);
      await eventually(
        async () => {
          const r = await admin('GET', '/outbound?limit=500');
          dead = r.body.deadLetters.find((d: any) => d.deliveryId === deliveryId);
          return Boolean(dead);
        },
        'a dead letter',
        60_000,
      );
    } finally {
      t.webhooks.status = 204;
    }
    expect(requestsWith(createdFor(id)).map((r) => r.status)).toEqual(Array(ATTEMPTS).fill(503));
    expect(dead).toMatchObject({ kind: 'webhook', url: t.webhooks.url, attempts: ATTEMPTS, failedReason: 'receiver answered 503' });
    const listed = await admin('GET', '/outbound');
    expect(listed.body.counts).toMatchObject({ failed: expect.any(Number), waiting: expect.any(Number), delayed: expect.any(Number) });
    expect(listed.body.counts.failed).toBeGreaterThanOrEqual(1);

    // only an operator replays, and only a dead letter
    expect((await admin('POST', `/outbound/${dead.jobId}/replay`, await t.token(newUserId()))).status).toBe(403);
    expect((await admin('POST', `/outbound/o${'0'.repeat(40)}/replay`)).body.error.code).toBe('NOT_FOUND');
    expect((await admin('POST', '/outbound/nope/replay')).body.error.code).toBe('NOT_FOUND');
    expect((await admin('GET', '/outbound?offset=-1')).body.error.code).toBe('VALIDATION_FAILED');

    const replay = await admin('POST', `/outbound/${dead.jobId}/replay`);
    expect([replay.status, replay.body]).toEqual([202, { jobId: dead.jobId, replayed: true }]);
    await eventually(() => acceptedWith(createdFor(id)).length > 0, 'delivered after the replay');
    expect(acceptedWith(createdFor(id)).map(webhookId)).toEqual([deliveryId]);
    await eventually(
      async () => !(await admin('GET', '/outbound?limit=500')).body.deadLetters.some((d: any) => d.jobId === dead.jobId),
      'no longer a dead letter',
    );
  }, 120_000);

  it('the README example receiver verifies the signature, prints the events and refuses a forged delivery', async () => {
    const snippet = readFileSync(EXAMPLE, 'utf8').split('\n').slice(1).join('\n').trim();
    expect(readFileSync(join(__dirname, '..', 'README.md'), 'utf8')).toContain(snippet);

    const { b, ta, roomId } = await t.pair();
    const id = await send(ta, b, roomId, 'to the example');
    await eventually(() => acceptedWith(createdFor(id)).length > 0, 'told');
    const event = t.webhooks.events().find(createdFor(id))!;
    await eventually(() => exampleOut.some((l) => l.endsWith(`${event.id} message.created`)), 'the example printed the event', 30_000);

    const body = JSON.stringify({ events: [{ id: 'forged', type: 'message.created' }] });
    const ts = Math.floor(Date.now() / 1000);
    const forged = await fetch(`http://127.0.0.1:${examplePort}/`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-chat-timestamp': String(ts), 'x-chat-signature': `v1=${'0'.repeat(64)}` },
      body,
    });
    expect(forged.status).toBe(401);
    expect(exampleOut.some((l) => l.includes('forged'))).toBe(false);
  }, 60_000);
});
