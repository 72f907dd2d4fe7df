import type { MessageReactionEvent, MessageView } from '@chat/contracts';
import { eventually, newUserId, TestStack, type TestClient } from './support/harness';

function collect<T = any>(c: TestClient, event: string): T[] {
  const seen: T[] = [];
  c.socket.on(event, (p: T) => seen.push(p));
  return seen;
}

/** Reactions: edge → the room's ordered queue → persistence (judgeReaction) → fanout to the room's members. */
describe('reactions', () => {
  const t = new TestStack();
  beforeAll(() => t.start(), 120_000);
  afterAll(() => t.stop(), 60_000);

  const history = async (roomId: string, token: string) =>
    (await t.http('GET', `/chat/messages/${roomId}?limit=50`, { token })).body.messages as MessageView[];
  const stored = async (roomId: string, token: string, id: string) => (await history(roomId, token)).find((m) => m.id === id);

  async function sendOne(c: TestClient, b: string, roomId: string, content = 'hello') {
    const r = await c.request('send_message', { receiverId: b, roomId, content });
    expect(r.ok).toBe(true);
    return r.message as MessageView;
  }

  it('members see message_reaction with the counts; history carries reactions and the reader’s own', async () => {
    const { b, ta, tb, roomId } = await t.pair();
    const [alice, bob] = await Promise.all([t.connect(ta, 0), t.connect(tb, 1)]);
    const [seenA, seenB] = [
      collect<MessageReactionEvent>(alice, 'message_reaction'),
      collect<MessageReactionEvent>(bob, 'message_reaction'),
    ];
    const m = await sendOne(alice, b, roomId);
    await bob.waitFor(() => bob.received.length === 1, 'the message');

    const ack = await bob.request('react_message', { messageId: m.id, emoji: '👍', on: true });
    expect(ack).toEqual({ ok: true, messageId: m.id, roomId, emoji: '👍', on: true, status: 'accepted' });
    const rest = await t.http('POST', `/chat/message/${m.id}/reactions`, { token: ta, body: { emoji: '🎉' } });
    expect(rest.status).toBe(202);
    const off = await t.http('DELETE', `/chat/message/${m.id}/reactions/${encodeURIComponent('👍')}`, { token: tb });
    expect(off.status).toBe(202);

    for (const [who, seen] of [
      ['alice', seenA],
      ['bob', seenB],
    ] as const) {
      await (who === 'alice' ? alice : bob).waitFor(() => seen.length === 3, `${who}: three reactions`);
      expect(seen.map((e) => [e.messageId, e.roomId, e.emoji, e.on, e.counts])).toEqual([
        [m.id, roomId, '👍', true, { '👍': 1 }],
        [m.id, roomId, '🎉', true, { '👍': 1, '🎉': 1 }],
        [m.id, roomId, '👍', false, { '🎉': 1 }],
      ]);
    }
    expect(seenA.map((e) => e.userId)).toEqual([b, expect.any(String), b]);
    const forAlice = await stored(roomId, ta, m.id);
    expect([forAlice?.reactions, forAlice?.myReactions]).toEqual([{ '🎉': 1 }, ['🎉']]);
    const forBob = await stored(roomId, tb, m.id);
    expect([forBob?.reactions, forBob?.myReactions]).toEqual([{ '🎉': 1 }, []]);
  });

  it('a device offline during a reaction gets it on reconnect (from the store)', async () => {
    const { b, ta, tb, roomId } = await t.pair();
    const alice = await t.connect(ta, 0);
    const m = await sendOne(alice, b, roomId, 'react to me');
    alice.close();
    expect((await t.http('POST', `/chat/message/${m.id}/reactions`, { token: tb, body: { emoji: '❤️' } })).status).toBe(202);
    await eventually(async () => (await stored(roomId, tb, m.id))?.myReactions?.length === 1, 'the reaction stored');

    const again = await t.connect(ta, 1);
    const seen = collect<MessageReactionEvent>(again, 'message_reaction');
    await again.waitFor(() => seen.length > 0, 'the missed reaction');
    expect(seen[0]).toEqual({ messageId: m.id, roomId, counts: { '❤️': 1 }, myReactions: [] });
  });

  it('refuses outsiders, over-long emoji, and a 21st different emoji', async () => {
    const { b, ta, tb, roomId } = await t.pair();
    const alice = await t.connect(ta, 0);
    const m = await sendOne(alice, b, roomId);
    await eventually(async () => (await stored(roomId, ta, m.id)) !== undefined, 'stored');

    const outsider = await t.token(newUserId());
    const byOutsider = await t.http('POST', `/chat/message/${m.id}/reactions`, { token: outsider, body: { emoji: '👍' } });
    expect([byOutsider.status, byOutsider.body.error?.code]).toEqual([404, 'NOT_FOUND']);
    const outsiderSocket = await t.connect(outsider, 1);
    expect((await outsiderSocket.request('react_message', { messageId: m.id, emoji: '👍', on: true })).error?.code).toBe('NOT_FOUND');

    const long = 'x'.repeat(17);
    const tooLong = await t.http('POST', `/chat/message/${m.id}/reactions`, { token: ta, body: { emoji: long } });
    expect([tooLong.status, tooLong.body.error?.code]).toEqual([400, 'VALIDATION_FAILED']);
    expect((await t.http('DELETE', `/chat/message/${m.id}/reactions/${long}`, { token: ta })).status).toBe(400);
    expect((await alice.request('react_message', { messageId: m.id, emoji: long, on: true })).error?.code).toBe('VALIDATION_FAILED');

    // twenty different ones, sent at once: the edge may not see them stored yet, the worker counts in order
    const bob = await t.connect(tb, 1);
    const refusals = collect(bob, 'react_message_status');
    const acks = [];
    for (let i = 0; i < 21; i++) acks.push(await bob.request('react_message', { messageId: m.id, emoji: `e${i}`, on: true }));
    const refusedAtEdge = acks.filter((r) => !r.ok).map((r) => r.error.code);
    await bob.waitFor(() => refusedAtEdge.length + refusals.length === 1, 'one refusal');
    expect([...refusedAtEdge, ...refusals.map((r) => r.error.code)]).toEqual(['LIMIT_REACHED']);
    await eventually(async () => Object.keys((await stored(roomId, ta, m.id))?.reactions ?? {}).length === 20, 'twenty stored');
    const spaced = await t.http('POST', `/chat/message/${m.id}/reactions`, { token: ta, body: { emoji: 'one more' } });
    expect([spaced.status, spaced.body.error?.code]).toEqual([400, 'VALIDATION_FAILED']);
    const over = await t.http('POST', `/chat/message/${m.id}/reactions`, { token: ta, body: { emoji: '🙂' } });
    expect([over.status, over.body.error?.code]).toEqual([409, 'LIMIT_REACHED']);
    // one already there is still fine
    expect((await t.http('POST', `/chat/message/${m.id}/reactions`, { token: ta, body: { emoji: 'e0' } })).status).toBe(202);
  });

  it('refuses a reaction after the message was deleted, even one accepted before the delete applied', async () => {
    const { a, b, ta, tb, roomId } = await t.pair();
    const [alice, bob] = await Promise.all([t.connect(ta, 0), t.connect(tb, 1)]);
    const m = await sendOne(alice, b, roomId);
    await bob.waitFor(() => bob.received.length === 1, 'the message');
    const reactionsA = collect(alice, 'message_reaction');
    const refusals = collect(bob, 'react_message_status');
    const deleted = collect(bob, 'message_deleted');

    expect((await alice.request('delete_message', { messageId: m.id })).ok).toBe(true);
    const ack = await bob.request('react_message', { messageId: m.id, emoji: '👍', on: true });
    if (ack.ok) await bob.waitFor(() => refusals.length === 1, 'the worker’s refusal');
    expect(ack.ok ? refusals[0].error.code : ack.error.code).toBe('CONFLICT');
    await bob.waitFor(() => deleted.length === 1, 'the delete');
    const late = await t.http('POST', `/chat/message/${m.id}/reactions`, { token: tb, body: { emoji: '👍' } });
    expect([late.status, late.body.error?.code]).toEqual([409, 'CONFLICT']);
    // a reaction to a later message: alice would have heard of an applied one to the deleted message first
    const later = await sendOne(bob, a, roomId, 'later');
    expect((await bob.request('react_message', { messageId: later.id, emoji: '✅', on: true })).ok).toBe(true);
    await alice.waitFor(() => reactionsA.length > 0, 'the later reaction');
    expect(reactionsA.map((e) => e.messageId)).toEqual([later.id]);
  });

  it('lets every member of a group react, and tells them all', async () => {
    const ids = [newUserId(), newUserId(), newUserId()];
    const [ta, tb, tc] = await Promise.all(ids.map((u) => t.token(u)));
    await t.letAnyoneAdd(tb, tc);
    const created = await t.http('POST', '/chat/groups', { token: ta, body: { name: 'g', memberIds: [ids[1], ids[2]] } });
    const groupId = created.body.groupId as string;
    await eventually(async () => (await t.http('GET', `/chat/groups/${groupId}/members`, { token: ta })).status === 200, 'group');
    const [sa, sb, sc] = await Promise.all([t.connect(ta, 0), t.connect(tb, 1), t.connect(tc, 0)]);
    const seen = [sa, sb, sc].map((s) => collect<MessageReactionEvent>(s, 'message_reaction'));
    const m = (await sa.request('send_group_message', { groupId, content: 'hi all' })).message as MessageView;
    await sc.waitFor(() => sc.received.length === 1, 'the group message');
    expect((await sc.request('react_message', { messageId: m.id, emoji: '🔥', on: true })).ok).toBe(true);
    for (const [i, s] of [sa, sb, sc].entries()) await s.waitFor(() => seen[i].length === 1, `member ${i}`);
    expect(seen.map((l) => [l[0].groupId, l[0].userId, l[0].counts])).toEqual([0, 1, 2].map(() => [groupId, ids[2], { '🔥': 1 }]));
    const page = await t.http('GET', `/chat/groups/${groupId}/messages`, { token: tb });
    expect(page.body.messages[0]).toMatchObject({ id: m.id, reactions: { '🔥': 1 }, myReactions: [] });
  });
});
