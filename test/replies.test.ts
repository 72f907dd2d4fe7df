import type { MessageView } from '@chat/contracts';
import { eventually, newUserId, TestStack } from './support/harness';

/** Replies: a send may name a message of the same room it answers; history shows a tombstone once that one is deleted. */
describe('replies', () => {
  const t = new TestStack();
  beforeAll(() => t.start(), 120_000);
  afterAll(() => t.stop(), 60_000);

  const inHistory = async (roomId: string, token: string, id: string, path = `/chat/messages/${roomId}`) =>
    ((await t.http('GET', `${path}?limit=50`, { token })).body.messages as MessageView[]).find((m) => m.id === id);

  it('carries replyTo with an excerpt of at most 100 characters, live and in history', async () => {
    const { a, b, ta, tb, roomId } = await t.pair();
    const [alice, bob] = await Promise.all([t.connect(ta, 0), t.connect(tb, 1)]);
    const long = `${'x'.repeat(99)}yz and more`;
    const original = (await alice.request('send_message', { receiverId: b, roomId, content: long })).message as MessageView;
    await bob.waitFor(() => bob.received.length === 1, 'the original');
    const replyTo = { id: original.id, senderId: a, excerpt: `${'x'.repeat(99)}y` };

    const ack = await bob.request('send_message', { receiverId: a, roomId, content: 'answer', replyToId: original.id });
    expect(ack.ok).toBe(true);
    expect(ack.message.replyTo).toEqual(replyTo);
    await alice.waitFor(() => alice.received.length === 1, 'the reply');
    expect(alice.received[0].replyTo).toEqual(replyTo);
    // over REST too, replying to the reply
    const rest = await t.http('POST', '/chat/messages', {
      token: ta,
      body: { receiverId: b, roomId, content: 'ok', replyToId: ack.message.id },
    });
    expect([rest.status, rest.body.message.replyTo]).toEqual([202, { id: ack.message.id, senderId: b, excerpt: 'answer' }]);
    await eventually(async () => (await inHistory(roomId, ta, ack.message.id)) !== undefined, 'stored');
    expect((await inHistory(roomId, ta, ack.message.id))?.replyTo).toEqual(replyTo);
    expect((await inHistory(roomId, ta, original.id))?.replyTo).toBeUndefined();
  });

  it('refuses a replyToId of another room, or of no message', async () => {
    const one = await t.pair();
    const other = await t.pair();
    const elsewhere = await t.http('POST', '/chat/messages', {
      token: other.ta,
      body: { receiverId: other.b, roomId: other.roomId, content: 'elsewhere' },
    });
    expect(elsewhere.status).toBe(202);
    await eventually(async () => (await inHistory(other.roomId, other.ta, elsewhere.body.message.id)) !== undefined, 'stored');
    for (const replyToId of [elsewhere.body.message.id, newUserId()]) {
      const r = await t.http('POST', '/chat/messages', {
        token: one.ta,
        body: { receiverId: one.b, roomId: one.roomId, content: 'hm', replyToId },
      });
      expect([r.status, r.body.error?.code, r.body.error?.details?.[0]?.field]).toEqual([400, 'VALIDATION_FAILED', 'replyToId']);
    }
    const sock = await t.connect(one.tb, 0);
    const r = await sock.request('send_message', {
      receiverId: one.a,
      roomId: one.roomId,
      content: 'hm',
      replyToId: elsewhere.body.message.id,
    });
    expect([r.ok, r.error?.code]).toEqual([false, 'VALIDATION_FAILED']);
    expect(
      (
        await t.http('POST', '/chat/messages', {
          token: one.ta,
          body: { receiverId: one.b, roomId: one.roomId, content: 'x', replyToId: 'nope' },
        })
      ).status,
    ).toBe(400);
  });

  it('shows the answered message as a tombstone once it is deleted, in a group too', async () => {
    const { a, b, ta, tb, roomId } = await t.pair();
    const alice = await t.connect(ta, 0);
    const original = (await alice.request('send_message', { receiverId: b, roomId, content: 'regret' })).message as MessageView;
    const reply = await t.http('POST', '/chat/messages', {
      token: tb,
      body: { receiverId: a, roomId, content: 'what?', replyToId: original.id },
    });
    expect(reply.status).toBe(202);
    expect((await alice.request('delete_message', { messageId: original.id })).ok).toBe(true);
    await eventually(async () => (await inHistory(roomId, tb, reply.body.message.id))?.replyTo?.deleted === true, 'the tombstone');
    expect((await inHistory(roomId, tb, reply.body.message.id))?.replyTo).toEqual({
      id: original.id,
      senderId: a,
      excerpt: null,
      deleted: true,
    });
    // a reply to it now is refused
    const late = await t.http('POST', '/chat/messages', {
      token: tb,
      body: { receiverId: a, roomId, content: 'x', replyToId: original.id },
    });
    expect([late.status, late.body.error?.code]).toEqual([400, 'VALIDATION_FAILED']);

    const members = [newUserId(), newUserId()];
    const [tg, tm] = await Promise.all(members.map((u) => t.token(u)));
    await t.letAnyoneAdd(tm);
    const created = await t.http('POST', '/chat/groups', { token: tg, body: { name: 'g', memberIds: [members[1]] } });
    const groupId = created.body.groupId as string;
    await eventually(async () => (await t.http('GET', `/chat/groups/${groupId}/members`, { token: tg })).status === 200, 'group');
    const gs = await t.connect(tg, 1);
    const first = (await gs.request('send_group_message', { groupId, content: 'group one' })).message as MessageView;
    const gReply = await t.http('POST', `/chat/groups/${groupId}/messages`, { token: tm, body: { content: 'ack', replyToId: first.id } });
    expect([gReply.status, gReply.body.message.replyTo]).toEqual([202, { id: first.id, senderId: members[0], excerpt: 'group one' }]);
    const bySocket = await gs.request('send_group_message', { groupId, content: 'me too', replyToId: first.id });
    expect(bySocket.message.replyTo.id).toBe(first.id);
    expect((await gs.request('delete_message', { messageId: first.id })).ok).toBe(true);
    const path = `/chat/groups/${groupId}/messages`;
    await eventually(
      async () => (await inHistory(groupId, tm, gReply.body.message.id, path))?.replyTo?.deleted === true,
      'group tombstone',
    );
  });
});
