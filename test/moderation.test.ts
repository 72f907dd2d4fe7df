import amqp from 'amqplib';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import mongoose from 'mongoose';
import { chromium } from 'playwright-core';
import { Redis } from 'ioredis';
import { buildTopology } from '@chat/broker';
import { OfflineInbox, verifyOutbound } from '@chat/delivery';
import { RoutingKeys, type MessageRejected, type MessageView, type SyncGap } from '@chat/contracts';
import { eventually, newUserId, TestClient, TestStack } from './support/harness';
import { TcpProxy } from './support/tcp-proxy';

const HOOK_SECRET = 'moderation-test-secret-0123';

interface HookMessage {
  id: string;
  roomId: string;
  senderId: string;
  content: string;
  clientMsgId: string | null;
}

/**
 * The moderation service, as a test plays it: a local HTTP server that answers each `{ messages }` by the
 * content's first word (spam → reject, redact: → redact, else allow), or as `override` says, after `delayMs`;
 * `down()` closes its port. Every request body is kept.
 */
class ModerationReceiver {
  readonly requests: Array<{ messages: HookMessage[] }> = [];
  /** Per request: whether its X-Chat-Signature verified with MODERATION_SECRET over X-Chat-Timestamp and the body. */
  readonly signed: boolean[] = [];
  override: 'allow' | 'reject' | null = null;
  delayMs = 0;
  /** While set, answers wait for it (within MODERATION_TIMEOUT_MS, or the worker gives up on them). */
  gate: Promise<void> | null = null;
  /** Called once the answer to a request went out (the kill test uses it). */
  answered: ((messages: HookMessage[]) => void) | null = null;
  private server: Server | null = null;
  port = 0;

  get url(): string {
    return `http://127.0.0.1:${this.port}/moderate`;
  }

  async up(): Promise<void> {
    const server = createServer((req, res) => void this.handle(req, res));
    await new Promise<void>((r) => server.listen(this.port, '127.0.0.1', r));
    this.port = (server.address() as AddressInfo).port;
    this.server = server;
  }

  async down(): Promise<void> {
    const s = this.server;
    this.server = null;
    if (!s) return;
    s.closeAllConnections();
    await new Promise((r) => s.close(r));
  }

  /** The requests that carried any of these message ids. */
  asked(ids: string[]): Array<{ messages: HookMessage[] }> {
    return this.requests.filter((r) => Array.isArray(r.messages) && r.messages.some((m) => ids.includes(m.id)));
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    let raw = '';
    for await (const chunk of req) raw += String(chunk);
    const body = JSON.parse(raw) as { messages: HookMessage[] };
    this.requests.push(body);
    const ts = Number(req.headers['x-chat-timestamp']);
    const sig = req.headers['x-chat-signature'];
    this.signed.push(typeof sig === 'string' && verifyOutbound(HOOK_SECRET, ts, raw, sig));
    if (this.delayMs > 0) await new Promise((r) => setTimeout(r, this.delayMs));
    if (this.gate) await this.gate;
    const verdicts = body.messages.map((m) => {
      const rule = this.override ?? (m.content.startsWith('spam') ? 'reject' : m.content.startsWith('redact:') ? 'redact' : 'allow');
      if (rule === 'reject') return { id: m.id, action: 'reject', reason: 'spam' };
      if (rule === 'redact') return { id: m.id, action: 'redact', content: '[redacted]' };
      return { id: m.id, action: 'allow' };
    });
    if (res.destroyed) return;
    res.setHeader('content-type', 'application/json');
    res.end(JSON.stringify({ verdicts }), () => this.answered?.(body.messages));
  }
}

function collect<T>(c: TestClient, event: string): T[] {
  const seen: T[] = [];
  c.socket.on(event, (p: T) => seen.push(p));
  return seen;
}

/** A metric on one process's /metrics, summed over the samples that carry these labels. */
async function metric(t: TestStack, process: string, name: string, labels: Record<string, string>): Promise<number> {
  const text = await fetch(`${t.stack.opsUrls.get(process)}/metrics`).then((r) => r.text());
  const pairs = Object.entries(labels).map(([k, v]) => `${k}="${v}"`);
  return text
    .split('\n')
    .filter((l) => l.startsWith(`${name}{`) && pairs.every((p) => l.includes(p)))
    .reduce((n, l) => n + Number(l.slice(l.lastIndexOf(' ') + 1)), 0);
}

describe('moderation hook (MODERATION_URL)', () => {
  const hook = new ModerationReceiver();
  let t: TestStack;
  beforeAll(async () => {
    await hook.up();
    t = await new TestStack({
      workers: 1,
      env: { MODERATION_URL: hook.url, MODERATION_TIMEOUT_MS: '1000', MODERATION_FAILURE: 'open', MODERATION_SECRET: HOOK_SECRET },
    }).start();
  }, 120_000);
  afterAll(async () => {
    await t?.stop();
    await hook.down();
  }, 60_000);
  afterEach(() => {
    hook.override = null;
    hook.delayMs = 0;
    hook.gate = null;
    hook.answered = null;
  });

  it('lets an allowed message through, after showing it to the hook', async () => {
    const { a, b, ta, tb, roomId } = await t.pair();
    const alice = await t.connect(ta, 0);
    const bob = await t.connect(tb, 1);
    const sent = await alice.request('send_message', { receiverId: b, roomId, content: 'hello', clientMsgId: 'allow-1' });
    expect(sent.ok).toBe(true);
    await bob.waitFor(() => bob.received.length === 1, 'the allowed message');
    expect(bob.received[0]).toMatchObject({ id: sent.message.id, content: 'hello', seq: 1 });
    expect(hook.asked([sent.message.id])[0].messages).toContainEqual(
      expect.objectContaining({ id: sent.message.id, roomId, senderId: a, content: 'hello', clientMsgId: 'allow-1' }),
    );
    // signed with MODERATION_SECRET, so the hook can tell the request is the chat's
    expect(hook.signed.length).toBeGreaterThan(0);
    expect(hook.signed.every(Boolean)).toBe(true);
  });

  it('a rejected message reaches nobody (live, offline inbox, sync, history) and takes no seq; its sender gets message_rejected', async () => {
    const { a, b, ta, tb, roomId } = await t.pair();
    const alice = await t.connect(ta, 0);
    // bob's device acknowledges nothing, so his return is synced from the room's start
    const bob = await t.connect(tb, 1, { ackReceives: false });
    const rejected = collect<MessageRejected>(alice, 'message_rejected');
    const send = (content: string, clientMsgId: string) => alice.request('send_message', { receiverId: b, roomId, content, clientMsgId });
    expect((await send('before', 'r-0')).ok).toBe(true);
    const spam = await send('spam: buy now', 'r-1');
    expect(spam.ok).toBe(true); // accepted by the edge: moderation answers later, in the room's order
    expect((await send('after', 'r-2')).ok).toBe(true);

    await bob.waitFor(() => bob.received.some((m) => m.content === 'after'), 'the message behind the rejected one');
    await alice.waitFor(() => rejected.length === 1, 'message_rejected');
    expect(rejected[0]).toEqual({ messageId: spam.message.id, roomId, clientMsgId: 'r-1', reason: 'spam' });
    expect(bob.received.map((m) => [m.content, m.seq])).toEqual([
      ['before', 1],
      ['after', 2],
    ]);
    await alice.waitFor(() => alice.sent.length === 2, 'message_sent of the two stored');
    expect(alice.sent.map((m) => m.content)).toEqual(['before', 'after']);
    expect((await t.storedMessages(roomId, tb)).map((m) => m.content)).toEqual(['before', 'after']);

    // bob away: the inbox parks the allowed message only; his return (sync from seq 0) brings no gap and no spam
    bob.close();
    await eventually(async () => (await t.presence(b)) === 0, 'bob offline');
    await send('spam again', 'r-3');
    await send('while away', 'r-4');
    await eventually(
      async () =>
        (await t.http('GET', `/chat/offline/${b}`, { token: tb })).body.messages?.some((m: MessageView) => m.content === 'while away'),
      'the allowed message parked',
    );
    expect((await t.http('GET', `/chat/offline/${b}`, { token: tb })).body.messages.map((m: MessageView) => m.content)).toEqual([
      'while away',
    ]);
    const back = new TestClient(`${t.edge(1)}/chat`, tb, true, { [roomId]: 0 });
    const gaps = collect<SyncGap>(back, 'sync_gap');
    try {
      await back.connected();
      await back.waitFor(() => back.received.some((m) => m.content === 'while away'), 'the sync');
      await new Promise((r) => setTimeout(r, 500));
      expect(back.received.map((m) => [m.content, m.seq])).toEqual([
        ['before', 1],
        ['after', 2],
        ['while away', 3],
      ]);
      expect(gaps).toEqual([]);
    } finally {
      back.close();
    }

    // the sender away too: the rejection waits in the sender's inbox for its return
    alice.close();
    await eventually(async () => (await t.presence(a)) === 0, 'alice offline');
    const viaRest = await t.http('POST', '/chat/messages', {
      token: ta,
      body: { receiverId: b, roomId, content: 'spam by REST', clientMsgId: 'r-5' },
    });
    expect(viaRest.status).toBe(202);
    const redis = new Redis(process.env.TEST_REDIS_URL!);
    const inbox = new OfflineInbox(redis, t.namespace);
    try {
      await eventually(
        async () => (await inbox.peek(a)).events.some((e) => e.envelope.event === 'message_rejected'),
        'the rejection parked in alice’s inbox',
      );
    } finally {
      await inbox.close();
      redis.disconnect();
    }
    const alice2 = new TestClient(`${t.edge(0)}/chat`, ta, true);
    const later = collect<MessageRejected>(alice2, 'message_rejected');
    try {
      await alice2.connected();
      await alice2.waitFor(() => later.some((r) => r.clientMsgId === 'r-5'), 'the parked message_rejected');
      expect(later.find((r) => r.clientMsgId === 'r-5')).toEqual({
        messageId: viaRest.body.message.id,
        roomId,
        clientMsgId: 'r-5',
        reason: 'spam',
      });
    } finally {
      alice2.close();
    }
    expect((await t.storedMessages(roomId, ta)).map((m) => m.content)).toEqual(['before', 'after', 'while away']);
  });

  it('in a group, a rejected message reaches no member; its sender hears of it with the group', async () => {
    const ids = [newUserId(), newUserId(), newUserId()];
    const [ta, tb, tc] = await Promise.all(ids.map((u) => t.token(u)));
    await t.letAnyoneAdd(tb, tc);
    const created = await t.http('POST', '/chat/groups', { token: ta, body: { name: 'moderated', memberIds: [ids[1], ids[2]] } });
    const groupId = created.body.groupId as string;
    await eventually(async () => (await t.http('GET', `/chat/groups/${groupId}/members`, { token: ta })).status === 200, 'group created');
    const alice = await t.connect(ta, 0);
    const bob = await t.connect(tb, 1);
    const rejected = collect<MessageRejected>(alice, 'message_rejected');
    const spam = await alice.request('send_group_message', { groupId, content: 'spam to everyone', clientMsgId: 'g-1' });
    expect(spam.ok).toBe(true);
    await alice.request('send_group_message', { groupId, content: 'hello everyone', clientMsgId: 'g-2' });
    await bob.waitFor(() => bob.received.length === 1, 'the allowed group message');
    await alice.waitFor(() => rejected.length === 1, 'message_rejected');
    expect(rejected[0]).toEqual({ messageId: spam.message.id, roomId: groupId, groupId, clientMsgId: 'g-1', reason: 'spam' });
    expect(bob.received.map((m) => [m.content, m.seq])).toEqual([['hello everyone', 1]]);
    // carol was away: her inbox holds the allowed message only
    const carol = await t.connect(tc, 0);
    await carol.waitFor(() => carol.received.length === 1, 'carol’s sync');
    await new Promise((r) => setTimeout(r, 300));
    expect(carol.received.map((m) => m.content)).toEqual(['hello everyone']);
  });

  it('a redacted message is stored and delivered with the hook’s content, in history too', async () => {
    const { b, ta, tb, roomId } = await t.pair();
    const alice = await t.connect(ta, 0);
    const bob = await t.connect(tb, 1);
    const sent = await alice.request('send_message', { receiverId: b, roomId, content: 'redact: call me at 555-0100', clientMsgId: 'x-1' });
    expect(sent.ok).toBe(true);
    await bob.waitFor(() => bob.received.length === 1, 'the redacted message');
    expect(bob.received[0]).toMatchObject({ id: sent.message.id, content: '[redacted]', seq: 1 });
    await alice.waitFor(() => alice.sent.length === 1, 'message_sent');
    expect(alice.sent[0].content).toBe('[redacted]');
    expect((await t.storedMessages(roomId, ta)).map((m) => m.content)).toEqual(['[redacted]']);
  });

  it('an edit is judged like a send: a rejected one is not applied and only its author hears why; a redacted one shows the hook’s content', async () => {
    const { b, ta, tb, roomId } = await t.pair();
    const alice = await t.connect(ta, 0);
    const bob = await t.connect(tb, 1);
    const statuses = collect<{ messageId: string; status: string; content?: string; error?: { code: string; message: string } }>(
      alice,
      'edit_message_status',
    );
    const edited = collect<{ messageId: string; content: string }>(bob, 'message_edited');
    const sent = await alice.request('send_message', { receiverId: b, roomId, content: 'plain', clientMsgId: 'e-1' });
    const id: string = sent.message.id;
    await bob.waitFor(() => bob.received.length === 1, 'the message');

    expect(await alice.request('edit_message', { messageId: id, newContent: 'spam, edited in' })).toMatchObject({ ok: true });
    await alice.waitFor(() => statuses.length === 1, 'the refusal');
    expect(statuses[0]).toMatchObject({ messageId: id, status: 'error', error: { code: 'MODERATION_REJECTED', message: 'spam' } });
    expect(hook.requests.flatMap((r) => r.messages).filter((m) => (m as { editOf?: string }).editOf === id)).toEqual([
      expect.objectContaining({ editOf: id, roomId, content: 'spam, edited in' }),
    ]);

    expect(await alice.request('edit_message', { messageId: id, newContent: 'redact: worse' })).toMatchObject({ ok: true });
    await alice.waitFor(() => statuses.length === 2, 'the redacted edit');
    await bob.waitFor(() => edited.length === 1, 'the edit');
    await new Promise((r) => setTimeout(r, 300));
    expect(statuses[1]).toMatchObject({ messageId: id, status: 'edited', content: '[redacted]' });
    // the peer never saw the rejected edit, and sees the redacted one as the hook wrote it
    expect(edited.map((e) => e.content)).toEqual(['[redacted]']);
    expect((await t.storedMessages(roomId, tb)).map((m) => m.content)).toEqual(['[redacted]']);
  });

  it('a reply sent while the message it answers waits for the hook shows nothing of what the hook removed', async () => {
    const { b, ta, tb, roomId } = await t.pair();
    const alice = await t.connect(ta, 0);
    const bob = await t.connect(tb, 1);
    // the hook answers once all four are accepted: each reply reaches the edge while the message it answers waits
    let open!: () => void;
    hook.gate = new Promise((r) => (open = r));
    const send = (content: string, clientMsgId: string, replyToId?: string) =>
      alice.request('send_message', { receiverId: b, roomId, content, clientMsgId, ...(replyToId ? { replyToId } : {}) });
    const redacted = await send('redact: call me at 555-0100', 'y-1');
    const toRedacted = await send('see above', 'y-2', redacted.message.id);
    const spam = await send('spam: cheap pills', 'y-3');
    const toSpam = await send('what was that?', 'y-4', spam.message.id);
    open();
    hook.gate = null;
    expect([redacted, toRedacted, spam, toSpam].map((r) => r.ok)).toEqual([true, true, true, true]);
    // the edge quoted what it had accepted; the stored replies quote what was let through
    expect(toRedacted.message.replyTo.excerpt).toBe('redact: call me at 555-0100');
    await bob.waitFor(() => bob.received.length === 3, 'the redacted message and both replies');
    expect(bob.received.map((m) => [m.content, m.replyTo?.excerpt])).toEqual([
      ['[redacted]', undefined],
      ['see above', '[redacted]'],
      ['what was that?', null],
    ]);
    const history = await t.storedMessages(roomId, tb);
    expect(JSON.stringify(history)).not.toMatch(/555-0100|cheap pills/);
  });

  it('MODERATION_FAILURE=open: a hook that is down, or slower than MODERATION_TIMEOUT_MS, lets messages through', async () => {
    const { b, ta, tb, roomId } = await t.pair();
    const alice = await t.connect(ta, 0);
    const bob = await t.connect(tb, 1);
    const rejected = collect<MessageRejected>(alice, 'message_rejected');
    const errorsBefore = await metric(t, 'persistence-1', 'chat_moderation_request_seconds_count', { outcome: 'error' });
    const timeoutsBefore = await metric(t, 'persistence-1', 'chat_moderation_request_seconds_count', { outcome: 'timeout' });

    await hook.down();
    try {
      expect((await alice.request('send_message', { receiverId: b, roomId, content: 'spam while down', clientMsgId: 'o-1' })).ok).toBe(
        true,
      );
      await bob.waitFor(() => bob.received.length === 1, 'the message sent while the hook was down');
    } finally {
      await hook.up();
    }
    hook.delayMs = 2500;
    expect((await alice.request('send_message', { receiverId: b, roomId, content: 'spam too slow', clientMsgId: 'o-2' })).ok).toBe(true);
    await bob.waitFor(() => bob.received.length === 2, 'the message the hook answered too late');
    expect(bob.received.map((m) => m.content)).toEqual(['spam while down', 'spam too slow']);
    expect(rejected).toEqual([]);
    expect(await metric(t, 'persistence-1', 'chat_moderation_request_seconds_count', { outcome: 'error' })).toBeGreaterThan(errorsBefore);
    expect(await metric(t, 'persistence-1', 'chat_moderation_request_seconds_count', { outcome: 'timeout' })).toBeGreaterThan(
      timeoutsBefore,
    );
  });

  it('asks once per batch: messages sent together share requests, each a { messages } array', async () => {
    const { b, ta, tb, roomId } = await t.pair();
    const alice = await t.connect(ta, 0);
    const bob = await t.connect(tb, 1);
    hook.delayMs = 300; // while the hook thinks, the next messages gather into the next batch
    const acks = await Promise.all(
      [...Array(20).keys()].map((i) =>
        alice.request('send_message', { receiverId: b, roomId, content: `burst ${i}`, clientMsgId: `b-${i}` }),
      ),
    );
    await bob.expectReceivedInOrder(acks.map((r) => r.message));
    const ids = acks.map((r) => r.message.id);
    const requests = hook.asked(ids);
    expect(requests.every((r) => Array.isArray(r.messages))).toBe(true);
    expect(new Set(requests.flatMap((r) => r.messages.map((m) => m.id)).filter((id) => ids.includes(id)))).toEqual(new Set(ids));
    expect(requests.length).toBeLessThan(20);
  });

  it('keeps the room’s order among what it lets through: seqs without gaps, rejections to the sender in order', async () => {
    const { b, ta, tb, roomId } = await t.pair();
    const alice = await t.connect(ta, 0);
    const bob = await t.connect(tb, 1);
    const rejected = collect<MessageRejected>(alice, 'message_rejected');
    const content = (i: number) => (i % 3 === 1 ? `spam ${i}` : i % 3 === 2 ? `redact: ${i}` : `plain ${i}`);
    const acks = await Promise.all(
      [...Array(30).keys()].map((i) =>
        alice.request('send_message', { receiverId: b, roomId, content: content(i), clientMsgId: `o-${i}` }),
      ),
    );
    expect(acks.every((r) => r.ok)).toBe(true);
    const kept = [...Array(30).keys()].filter((i) => i % 3 !== 1);
    await bob.waitFor(() => bob.received.length >= kept.length, 'every message let through');
    await alice.waitFor(() => rejected.length >= 10, 'ten rejections');
    await new Promise((r) => setTimeout(r, 500));
    expect(bob.received.map((m) => m.content)).toEqual(kept.map((i) => (i % 3 === 2 ? '[redacted]' : `plain ${i}`)));
    expect(bob.received.map((m) => m.id)).toEqual(kept.map((i) => acks[i].message.id));
    expect(bob.received.map((m) => m.seq)).toEqual(kept.map((_, k) => k + 1));
    expect(rejected.map((r) => r.clientMsgId)).toEqual([...Array(30).keys()].filter((i) => i % 3 === 1).map((i) => `o-${i}`));
  });

  describe('a command that comes again gets the verdict it got the first time', () => {
    /** Publishes alice's send command for `id` straight to the room's partition, as a redelivery would bring it. */
    async function publishSend(roomId: string, a: string, b: string, id: string, content: string, clientMsgId: string): Promise<void> {
      const topology = buildTopology(t.namespace);
      const conn = await amqp.connect(process.env.TEST_RABBITMQ_URL!);
      try {
        const ch = await conn.createConfirmChannel();
        const command = {
          type: RoutingKeys.messageSend,
          correlationId: `again-${clientMsgId}`,
          message: { id, roomId, senderId: a, receiverId: b, content, clientMsgId, createdAt: new Date().toISOString() },
        };
        ch.publish(topology.exchange, topology.route(RoutingKeys.messageSend, roomId), Buffer.from(JSON.stringify(command)), {
          persistent: true,
        });
        await ch.waitForConfirms();
        await ch.close();
      } finally {
        await conn.close();
      }
    }

    it('rejected stays rejected, allowed stays delivered once, redacted stays redacted, whatever the hook answers the second time', async () => {
      const { a, b, ta, tb, roomId } = await t.pair();
      const alice = await t.connect(ta, 0);
      const bob = await t.connect(tb, 1);
      const rejected = collect<MessageRejected>(alice, 'message_rejected');
      const [spam, fine, redacted] = [newUserId(), newUserId(), newUserId()];
      await publishSend(roomId, a, b, spam, 'spam once', 'i-1');
      await publishSend(roomId, a, b, fine, 'fine once', 'i-2');
      await publishSend(roomId, a, b, redacted, 'redact: once', 'i-3');
      await bob.waitFor(() => bob.received.length === 2, 'the allowed and the redacted message');
      await alice.waitFor(() => rejected.length === 1, 'the rejection');

      // the hook changes its mind: everything allowed, then everything rejected
      hook.override = 'allow';
      await publishSend(roomId, a, b, spam, 'spam once', 'i-1');
      await publishSend(roomId, a, b, redacted, 'redact: once', 'i-3');
      await alice.waitFor(() => rejected.length === 2, 'the same rejection again');
      await eventually(() => hook.asked([redacted]).length === 2, 'the hook asked about the redacted one again');
      hook.override = 'reject';
      await publishSend(roomId, a, b, fine, 'fine once', 'i-2');
      await eventually(() => hook.asked([fine]).length === 2, 'the hook asked about the delivered one again');
      hook.override = null;
      await alice.request('send_message', { receiverId: b, roomId, content: 'sentinel', clientMsgId: 'i-4' });
      await bob.waitFor(() => bob.received.some((m) => m.content === 'sentinel'), 'the message behind the repeats');
      await new Promise((r) => setTimeout(r, 500));

      expect(rejected).toEqual([
        { messageId: spam, roomId, clientMsgId: 'i-1', reason: 'spam' },
        { messageId: spam, roomId, clientMsgId: 'i-1', reason: 'spam' },
      ]);
      expect(bob.received.map((m) => [m.id, m.content])).toEqual([
        [fine, 'fine once'],
        [redacted, '[redacted]'],
        [expect.any(String), 'sentinel'],
      ]);
      expect((await t.storedMessages(roomId, tb)).map((m) => [m.id, m.content, m.seq])).toEqual([
        [fine, 'fine once', 1],
        [redacted, '[redacted]', 2],
        [expect.any(String), 'sentinel', expect.any(Number)],
      ]);
      // the hook was asked again each time: its new answers lost to what was decided first
      expect(hook.asked([spam])).toHaveLength(2);
    });

    it('a worker killed just after the hook answered: the message ends either rejected or delivered, never both', async () => {
      const { b, ta, tb, roomId } = await t.pair();
      const alice = await t.connect(ta, 0);
      const bob = await t.connect(tb, 1);
      const rejected = collect<MessageRejected>(alice, 'message_rejected');
      const kill: { exited?: Promise<unknown> } = {};
      hook.answered = (messages) => {
        if (!kill.exited && messages.some((m) => m.content === 'spam then crash')) kill.exited = t.stack.kill('persistence-1');
      };
      const sent = await alice.request('send_message', { receiverId: b, roomId, content: 'spam then crash', clientMsgId: 'k-1' });
      expect(sent.ok).toBe(true);
      await eventually(() => kill.exited !== undefined, 'the kill');
      await kill.exited;
      hook.answered = null;
      hook.override = 'allow'; // asked again after the restart, the hook would let it through
      await t.stack.restart('persistence-1');
      await alice.request('send_message', { receiverId: b, roomId, content: 'after the crash', clientMsgId: 'k-2' });
      await bob.waitFor(() => bob.received.some((m) => m.content === 'after the crash'), 'the message behind it');
      await new Promise((r) => setTimeout(r, 500));

      const wasRejected = rejected.some((r) => r.messageId === sent.message.id);
      const wasDelivered = bob.received.some((m) => m.id === sent.message.id);
      expect([wasRejected, wasDelivered]).toContainEqual(true);
      expect(wasRejected && wasDelivered).toBe(false);
      const stored = (await t.storedMessages(roomId, tb)).filter((m) => m.id === sent.message.id);
      expect(stored).toHaveLength(wasDelivered ? 1 : 0);
    });

    it('a worker cut from the broker after it stored a rejection, then killed before acking: the redelivery stays rejected, though the hook now allows it', async () => {
      // the worker reaches RabbitMQ through a relay the test cuts (the edges and fanout do not)
      const rabbit = new URL(process.env.TEST_RABBITMQ_URL!);
      const relay = await new TcpProxy(rabbit.hostname, Number(rabbit.port || 5672)).start();
      const viaRelay = new URL(rabbit.toString());
      viaRelay.hostname = '127.0.0.1';
      viaRelay.port = String(relay.port);
      const store = await mongoose.createConnection(t.storeUrl).asPromise();
      try {
        await t.stack.kill('persistence-1', 'SIGTERM');
        await t.stack.spawn('persistence', 'persistence-1', { RABBITMQ_URL: viaRelay.toString() });
        const { b, ta, tb, roomId } = await t.pair();
        const alice = await t.connect(ta, 0);
        const bob = await t.connect(tb, 1);
        const rejected = collect<MessageRejected>(alice, 'message_rejected');
        // the hook's answer waits until the worker has lost the broker: it stores the verdict, and can neither tell nor ack
        let release!: () => void;
        hook.gate = new Promise<void>((r) => (release = r));
        const sent = await alice.request('send_message', { receiverId: b, roomId, content: 'spam, then cut', clientMsgId: 'c-1' });
        expect(sent.ok).toBe(true);
        const id: string = sent.message.id;
        await eventually(() => hook.asked([id]).length === 1, 'the hook asked');
        relay.cut();
        release();
        await eventually(
          async () => (await store.collection('moderation_verdicts').findOne({ _id: id as never }))?.action === 'reject',
          'the rejection stored',
        );
        await t.stack.kill('persistence-1', 'SIGKILL');
        expect(rejected).toEqual([]);

        hook.gate = null;
        hook.override = 'allow'; // asked again, the hook would now let it through
        relay.restore();
        await t.stack.restart('persistence-1');
        await alice.request('send_message', { receiverId: b, roomId, content: 'after the cut', clientMsgId: 'c-2' });
        await bob.waitFor(() => bob.received.some((m) => m.content === 'after the cut'), 'the message behind it');
        await alice.waitFor(() => rejected.length >= 1, 'the rejection', 10_000).catch(() => undefined);
        await new Promise((r) => setTimeout(r, 500));

        // the redelivery was shown to the hook again, and its allow lost to the stored rejection
        expect(hook.asked([id])).toHaveLength(2);
        expect(rejected).toEqual([{ messageId: id, roomId, clientMsgId: 'c-1', reason: 'spam' }]);
        expect(bob.received.map((m) => m.content)).toEqual(['after the cut']);
        expect((await t.storedMessages(roomId, tb)).map((m) => [m.content, m.seq])).toEqual([['after the cut', 1]]);
      } finally {
        hook.gate = null;
        relay.restore();
        await store.close();
        // the rest of the file runs against a worker on the broker itself
        await t.stack.kill('persistence-1', 'SIGTERM');
        await t.stack.spawn('persistence', 'persistence-1', { RABBITMQ_URL: rabbit.toString() });
        await relay.stop();
      }
    }, 90_000);
  });

  it('shows operators the verdicts and the hook’s latency: /metrics, /admin/api/moderation and the /admin page', async () => {
    const admin = await t.token(newUserId(), 'admin');
    // one of each verdict at least (the counts are since the worker started)
    const { b, ta, tb, roomId } = await t.pair();
    const bob = await t.connect(tb, 1);
    for (const [content, id] of [
      ['plain', 'm-1'],
      ['spam', 'm-2'],
      ['redact: x', 'm-3'],
      ['plain again', 'm-4'],
    ])
      expect(
        (await t.http('POST', '/chat/messages', { token: ta, body: { receiverId: b, roomId, content, clientMsgId: id } })).status,
      ).toBe(202);
    await bob.waitFor(() => bob.received.some((m) => m.content === 'plain again'), 'the last message');
    const counted = async (action: string) =>
      (await metric(t, 'persistence-1', 'chat_moderation_verdicts_total', { action, source: 'hook' })) > 0;
    expect({ allow: await counted('allow'), reject: await counted('reject'), redact: await counted('redact') }).toEqual({
      allow: true,
      reject: true,
      redact: true,
    });
    let overview: any;
    await eventually(async () => {
      overview = (await t.http('GET', '/admin/api/moderation', { token: admin })).body;
      return overview.total?.allowed >= 2 && overview.total.rejected >= 1 && overview.total.redacted >= 1;
    }, 'the workers’ report');
    expect(overview.workers).toEqual([expect.objectContaining({ instance: 'persistence-1', failure: 'open' })]);
    expect(overview.total.requests).toBeGreaterThan(0);
    expect(overview.total.latencyMs).toEqual({ p50: expect.any(Number), p99: expect.any(Number), max: expect.any(Number) });
    expect((await t.http('GET', '/admin/api/moderation', { token: ta })).status).toBe(403);

    const browser = await chromium.launch({
      executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
      headless: true,
      args: ['--no-sandbox'],
    });
    try {
      const page = await browser.newPage();
      await page.goto(`${t.edge(0)}/admin/login`);
      await page.fill('#token', admin);
      await page.click('#sign-in');
      await page.waitForURL(`${t.edge(0)}/admin`);
      const row = page.locator('#moderation tbody tr', { hasText: 'persistence-1' });
      await row.waitFor();
      const cells = await row.locator('td').allTextContents();
      expect(cells.slice(0, 2)).toEqual(['persistence-1', 'open']);
      expect(Number(cells[3])).toBeGreaterThanOrEqual(1); // rejected
      expect(Number(cells[4])).toBeGreaterThanOrEqual(1); // redacted
    } finally {
      await browser.close();
    }
  });

  it('MODERATION_FAILURE=closed: a hook that does not answer in time rejects as moderation_unavailable, and takes no seq', async () => {
    await t.stack.kill('persistence-1', 'SIGTERM');
    await t.stack.spawn('persistence', 'persistence-1', { MODERATION_FAILURE: 'closed' });
    const { b, ta, tb, roomId } = await t.pair();
    const alice = await t.connect(ta, 0);
    const bob = await t.connect(tb, 1);
    const rejected = collect<MessageRejected>(alice, 'message_rejected');
    hook.delayMs = 2500;
    const first = await alice.request('send_message', { receiverId: b, roomId, content: 'hello, closed', clientMsgId: 'c-1' });
    await alice.waitFor(() => rejected.length === 1, 'the rejection');
    expect(rejected[0]).toEqual({ messageId: first.message.id, roomId, clientMsgId: 'c-1', reason: 'moderation_unavailable' });
    hook.delayMs = 0;
    await alice.request('send_message', { receiverId: b, roomId, content: 'hello again', clientMsgId: 'c-2' });
    await bob.waitFor(() => bob.received.length >= 1, 'the message once the hook answers');
    await new Promise((r) => setTimeout(r, 500));
    expect(bob.received.map((m) => [m.content, m.seq])).toEqual([['hello again', 1]]);
    expect((await t.storedMessages(roomId, ta)).map((m) => m.content)).toEqual(['hello again']);
  });
});
