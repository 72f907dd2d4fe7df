import { connectStore, createModels, RoomSettingsStore } from '@chat/store';
import { eventually, newUserId, TestStack } from './support/harness';

/** Muting a room: only the muting user's room lists show it; messages and unread counts go on as before. */
describe('muting a room', () => {
  const t = new TestStack();
  beforeAll(() => t.start(), 120_000);
  afterAll(() => t.stop(), 60_000);

  const conversationOf = async (userId: string, token: string, roomId: string) =>
    (await t.http('GET', `/chat/conversations/${userId}`, { token })).body.conversations.find((c: { id: string }) => c.id === roomId);
  const groupOf = async (token: string, groupId: string) =>
    (await t.http('GET', '/chat/groups', { token })).body.groups.find((g: { id: string }) => g.id === groupId);

  it('marks the room muted in the muting user’s lists only, still delivering and counting its messages', async () => {
    const { a, b, ta, tb, roomId } = await t.pair();
    const r = await t.http('PATCH', `/chat/rooms/${roomId}/settings`, { token: tb, body: { muted: true } });
    expect([r.status, r.body]).toEqual([200, { settings: { roomId, muted: true, mutedUntil: null } }]);
    expect(await conversationOf(b, tb, roomId)).toMatchObject({ muted: true, mutedUntil: null });
    expect(await conversationOf(a, ta, roomId)).toMatchObject({ muted: false, mutedUntil: null });

    // the room still gets messages, live and as unread
    const bob = await t.connect(tb, 1);
    const sent = await t.http('POST', '/chat/messages', { token: ta, body: { receiverId: b, roomId, content: 'still here' } });
    expect(sent.status).toBe(202);
    await bob.waitFor(() => bob.received.some((m) => m.id === sent.body.message.id), 'the message on the muted room');
    await eventually(async () => (await conversationOf(b, tb, roomId))?.unreadCount === 1, 'counted as unread');
    const unread = await t.http('GET', `/chat/message/unread/${b}`, { token: tb });
    expect(unread.body.byRoom).toEqual({ [roomId]: 1 });

    // the lookup the delivery side will use
    const db = connectStore(new URL(`/${t.namespace}`, process.env.TEST_MONGO_URL).toString(), 'mute-check');
    try {
      const store = new RoomSettingsStore(createModels(db));
      expect([...(await store.mutedAmong(roomId, [a, b]))]).toEqual([b]);
      expect((await t.http('PATCH', `/chat/rooms/${roomId}/settings`, { token: tb, body: { muted: false } })).body).toEqual({
        settings: { roomId, muted: false, mutedUntil: null },
      });
      expect(await conversationOf(b, tb, roomId)).toMatchObject({ muted: false, mutedUntil: null });
      expect([...(await store.mutedAmong(roomId, [a, b]))]).toEqual([]);
    } finally {
      await db.close();
    }
  }, 90_000);

  it('mutes a group until a time, for that member only, and the mute ends by itself', async () => {
    const [a, b] = [newUserId(), newUserId()];
    const [ta, tb] = await Promise.all([t.token(a), t.token(b)]);
    await t.letAnyoneAdd(tb);
    const created = await t.http('POST', '/chat/groups', { token: ta, body: { name: 'quiet', memberIds: [b] } });
    const groupId = created.body.groupId as string;
    await eventually(async () => (await t.http('GET', `/chat/groups/${groupId}/members`, { token: ta })).status === 200, 'group created');

    const until = new Date(Date.now() + 60 * 60_000).toISOString();
    const r = await t.http('PATCH', `/chat/rooms/${groupId}/settings`, { token: tb, body: { muted: true, until } });
    expect([r.status, r.body.settings]).toEqual([200, { roomId: groupId, muted: true, mutedUntil: until }]);
    expect(await groupOf(tb, groupId)).toMatchObject({ muted: true, mutedUntil: until });
    expect(await groupOf(ta, groupId)).toMatchObject({ muted: false, mutedUntil: null });

    // a mute that ends soon reads as not muted once it has ended
    const soon = new Date(Date.now() + 1500).toISOString();
    expect((await t.http('PATCH', `/chat/rooms/${groupId}/settings`, { token: tb, body: { muted: true, until: soon } })).status).toBe(200);
    await eventually(async () => (await groupOf(tb, groupId))?.muted === false, 'the mute ended');
    expect(await groupOf(tb, groupId)).toMatchObject({ muted: false, mutedUntil: null });
  }, 90_000);

  it('refuses a bad until, a bad body, and a room the caller is not in', async () => {
    const { roomId, ta } = await t.pair();
    const path = `/chat/rooms/${roomId}/settings`;
    for (const body of [
      { muted: true, until: new Date(Date.now() - 60_000).toISOString() },
      { muted: true, until: 'next tuesday' },
      { muted: true, until: 12 },
      { muted: false, until: new Date(Date.now() + 60_000).toISOString() },
      { muted: 'yes' },
      {},
      { muted: true, extra: 1 },
    ]) {
      const r = await t.http('PATCH', path, { token: ta, body });
      expect([JSON.stringify(body), r.status, r.body.error?.code]).toEqual([JSON.stringify(body), 400, 'VALIDATION_FAILED']);
    }
    const outsider = await t.token(newUserId());
    for (const room of [roomId, newUserId()]) {
      const r = await t.http('PATCH', `/chat/rooms/${room}/settings`, { token: outsider, body: { muted: true } });
      expect([r.status, r.body.error?.code]).toEqual([404, 'NOT_FOUND']);
    }
    expect((await t.http('PATCH', '/chat/rooms/nope/settings', { token: ta, body: { muted: true } })).status).toBe(400);
  }, 60_000);
});
