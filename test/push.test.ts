import { Redis } from 'ioredis';
import { verifyOutbound } from '@chat/delivery';
import type { PushBody } from '../services/fanout/src/usecases/send-push/send-push.usecase';
import type { HookRequest } from './support/hook-receiver';
import { eventually, newUserId, TEST_PUSH_SECRET, TestStack } from './support/harness';

/**
 * Push for offline receivers, against the real services and a local push gateway: the messages parked for a
 * user in a room within PUSH_COLLAPSE_MS make one signed push with a count; none for a muted room or a user
 * who came back; no text for a user with previews off; retried while the gateway is down.
 */
describe('push for offline receivers', () => {
  const t = new TestStack({ outbound: true });
  let redis: Redis;
  beforeAll(async () => {
    await t.start();
    redis = new Redis(process.env.TEST_REDIS_URL!);
  }, 120_000);
  afterAll(async () => {
    redis?.disconnect();
    await t.stop();
  }, 60_000);

  /** The pushes the gateway took for a user (in a room). */
  const pushesTo = (userId: string, roomId?: string): Array<HookRequest & { body: PushBody }> =>
    t.push.accepted.filter((r) => r.body?.userId === userId && (!roomId || r.body.roomId === roomId));
  const counted = (userId: string, roomId?: string) => pushesTo(userId, roomId).reduce((n, r) => n + r.body.count, 0);
  const signed = (r: HookRequest) =>
    verifyOutbound(TEST_PUSH_SECRET, Number(r.headers['x-chat-timestamp']), r.raw, String(r.headers['x-chat-signature']));

  /** A fanout metric summed over every copy, counting only the samples with all these labels. */
  async function fanoutMetric(metric: string, labels: string[]): Promise<number> {
    let total = 0;
    for (const [name, url] of t.stack.opsUrls) {
      if (!name.startsWith('fanout')) continue;
      const text = await fetch(`${url}/metrics`, { signal: AbortSignal.timeout(5000) }).then((r) => r.text());
      for (const line of text.split('\n'))
        if (line.startsWith(`${metric}{`) && labels.every((l) => line.includes(l))) total += Number(line.split(' ').pop());
    }
    return total;
  }
  /** Push windows closed with this outcome. */
  const windows = (outcome: 'sent' | 'muted' | 'online') => fanoutMetric('chat_push_windows_total', [`outcome="${outcome}"`]);
  const pushRetries = () => fanoutMetric('chat_outbound_total', ['kind="push"', 'outcome="retry"']);

  async function send(token: string, receiverId: string, roomId: string, content: string): Promise<{ id: string }> {
    const r = await t.http('POST', '/chat/messages', { token, body: { receiverId, roomId, content } });
    expect(r.status).toBe(202);
    return r.body.message;
  }

  it('collapses 50 messages to an offline receiver into one push with a count, signed, the newest with its preview', async () => {
    const { a, b, ta, roomId } = await t.pair();
    const sent: Array<{ id: string }> = [];
    for (let i = 1; i <= 50; i++) sent.push(await send(ta, b, roomId, `message ${i}`));

    await eventually(() => counted(b, roomId) >= 50, 'pushes counting all 50 messages');
    const pushes = pushesTo(b, roomId);
    // a window may close while the messages are still being sent: then a second push counts the rest
    expect(counted(b, roomId)).toBe(50);
    expect(pushes.length).toBeLessThanOrEqual(2);
    expect(pushes.every(signed)).toBe(true);
    expect(new Set(pushes.map((p) => p.headers['x-chat-webhook-id'])).size).toBe(pushes.length);
    const last = pushes[pushes.length - 1].body;
    expect(last).toEqual({ userId: b, roomId, messageId: sent[49].id, senderId: a, count: last.count, preview: 'message 50' });
    // the sender, online or not, is pushed nothing of its own messages
    expect(pushesTo(a)).toEqual([]);
  }, 90_000);

  it('pushes each offline member of a group its own window', async () => {
    const [a, b, c] = [newUserId(), newUserId(), newUserId()];
    const [ta, tb, tc] = await Promise.all([t.token(a), t.token(b), t.token(c)]);
    await t.letAnyoneAdd(tb, tc);
    const created = await t.http('POST', '/chat/groups', { token: ta, body: { name: 'ring', memberIds: [b, c] } });
    const groupId = created.body.groupId as string;
    await eventually(
      async () => (await t.http('GET', `/chat/groups/${groupId}/members`, { token: ta })).body.members?.length === 3,
      'group',
    );
    for (let i = 1; i <= 5; i++) {
      const r = await t.http('POST', `/chat/groups/${groupId}/messages`, { token: ta, body: { content: `g${i}` } });
      expect(r.status).toBe(202);
    }
    await eventually(() => counted(b, groupId) >= 5 && counted(c, groupId) >= 5, 'both members pushed');
    expect([counted(b, groupId), counted(c, groupId)]).toEqual([5, 5]);
    expect(
      pushesTo(b, groupId)
        .concat(pushesTo(c, groupId))
        .every((p) => p.body.senderId === a && signed(p)),
    ).toBe(true);
    expect(pushesTo(a)).toEqual([]);
  }, 90_000);

  it('pushes nothing for a muted room, while an unmuted room of the same user is pushed', async () => {
    const muted = await t.pair();
    const other = await t.pair();
    const r = await t.http('PATCH', `/chat/rooms/${muted.roomId}/settings`, { token: muted.tb, body: { muted: true } });
    expect(r.status).toBe(200);
    const before = await windows('muted');
    await send(muted.ta, muted.b, muted.roomId, 'shh');
    await send(other.ta, other.b, other.roomId, 'ring');
    await eventually(() => counted(other.b) === 1, 'the unmuted room pushed');
    await eventually(async () => (await windows('muted')) > before, 'the muted window closed');
    expect(pushesTo(muted.b)).toEqual([]);
  }, 90_000);

  it('pushes nothing to a receiver who came online before the window closed', async () => {
    const { b, ta, tb, roomId } = await t.pair();
    const before = await windows('online');
    await send(ta, b, roomId, 'are you there');
    // parked (not delivered live): its window is open
    await eventually(async () => (await redis.zcard(`${t.namespace}:push:${b}:${roomId}`)) === 1, 'the message parked for push');
    const bob = await t.connect(tb);
    await bob.waitFor(() => bob.received.some((m) => m.content === 'are you there'), 'the connect-time sync');
    await eventually(async () => (await windows('online')) > before, 'the window closed with the receiver online');
    expect(pushesTo(b)).toEqual([]);
    bob.close();
  }, 90_000);

  it('with pushPreview off sends the push without any message text', async () => {
    const { a, b, ta, tb, roomId } = await t.pair();
    const settings = await t.http('PATCH', '/chat/me/settings', { token: tb, body: { pushPreview: false } });
    expect([settings.status, settings.body.settings]).toEqual([200, { showPresence: true, groupAdds: 'contacts', pushPreview: false }]);
    expect((await t.http('GET', '/chat/me/settings', { token: tb, edge: 1 })).body.settings.pushPreview).toBe(false);
    const m = await send(ta, b, roomId, 'the launch code is 4711');
    await eventually(() => counted(b) === 1, 'the push');
    const [push] = pushesTo(b);
    expect(push.body).toEqual({ userId: b, roomId, messageId: m.id, senderId: a, count: 1 });
    expect(push.raw).not.toContain('launch');
    expect(push.raw).not.toContain('4711');
    expect(signed(push)).toBe(true);

    for (const body of [{ pushPreview: 'no' }, { pushPreview: null }, { pushPreview: 0 }]) {
      const bad = await t.http('PATCH', '/chat/me/settings', { token: tb, body });
      expect([JSON.stringify(body), bad.status, bad.body.error?.code]).toEqual([JSON.stringify(body), 400, 'VALIDATION_FAILED']);
    }
  }, 90_000);

  it('retries a push while the gateway is down and delivers it once it is back', async () => {
    const { b, ta, roomId } = await t.pair();
    const retriesBefore = await pushRetries();
    await t.push.stop();
    try {
      await send(ta, b, roomId, 'later');
      await eventually(async () => (await pushRetries()) > retriesBefore, 'an attempt failed on the closed port', 60_000);
      expect(pushesTo(b)).toEqual([]);
    } finally {
      await t.push.start();
    }
    await eventually(() => counted(b) === 1, 'the push after the gateway came back', 60_000);
    expect(pushesTo(b)[0].body.preview).toBe('later');
  }, 120_000);

  it('keeps an open window through both fanout copies being killed, and pushes it once they are back', async () => {
    const { b, ta, roomId } = await t.pair();
    await send(ta, b, roomId, 'while you were out');
    await eventually(async () => (await redis.zcard(`${t.namespace}:push:${b}:${roomId}`)) === 1, 'the message parked for push');
    await Promise.all(['fanout-1', 'fanout-2'].map((n) => t.stack.kill(n, 'SIGKILL')));
    await Promise.all(['fanout-1', 'fanout-2'].map((n) => t.stack.restart(n)));
    await eventually(() => counted(b) === 1, 'the push from the restarted workers', 60_000);
    expect(pushesTo(b).map((p) => [p.body.count, p.body.preview, signed(p)])).toEqual([[1, 'while you were out', true]]);
  }, 120_000);
});
