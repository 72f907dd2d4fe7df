import { eventually, newUserId, TestStack, type TestClient } from './support/harness';

/** Every event of one name a client received, with when it arrived. */
function record<T>(c: TestClient, event: string): Array<T & { at: number }> {
  const got: Array<T & { at: number }> = [];
  c.socket.on(event, (p: T) => got.push({ ...p, at: Date.now() }));
  return got;
}
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

interface Typing {
  roomId: string;
  userId: string;
  isTyping: boolean;
}
interface PresenceEvent {
  userId: string;
  online: boolean | null;
  lastSeenAt: string | null;
}

/**
 * Typing indicators and presence, end to end through two edges: who is told, who is refused, how often,
 * and the reciprocal hiding of presence.
 */
describe('typing indicators and presence', () => {
  // a short implicit stop and grace keep the test quick (the defaults, 6 s and 4 s, are in the unit spec and config)
  const t = new TestStack({ env: { TYPING_STOP_MS: '1500', PRESENCE_GRACE_MS: '1000' } });
  beforeAll(() => t.start(), 120_000);
  afterAll(() => t.stop(), 60_000);

  async function user(): Promise<{ id: string; token: string }> {
    const id = newUserId();
    return { id, token: await t.token(id) };
  }
  async function room(a: { id: string; token: string }, b: { id: string }): Promise<string> {
    const r = await t.http('POST', '/chat/conversation', { token: a.token, body: { user1: a.id, user2: b.id } });
    expect(r.status).toBe(200);
    return r.body.conversation.id;
  }

  describe('typing', () => {
    it('reaches the other members of a one-to-one room and of a group on any edge, never the typist, and refuses outsiders', async () => {
      const [a, b, c, d] = await Promise.all([user(), user(), user(), user()]);
      const roomId = await room(a, b);
      // b and c let anyone add them to a group (group-consent.test.ts covers the default)
      for (const u of [b, c]) await t.http('PATCH', '/chat/me/settings', { token: u.token, body: { groupAdds: 'everyone' } });
      const g = await t.http('POST', '/chat/groups', { token: a.token, body: { name: 'typing', memberIds: [b.id, c.id] } });
      expect(g.status).toBe(202);
      const groupId = g.body.groupId as string;
      await eventually(
        async () => (await t.http('GET', `/chat/groups/${groupId}/members`, { token: a.token })).status === 200,
        'group created',
      );

      const [sa, sb, sc, sd] = await Promise.all([
        t.connect(a.token, 0),
        t.connect(b.token, 1),
        t.connect(c.token, 1),
        t.connect(d.token, 0),
      ]);
      const [ta, tb, tc, td] = [sa, sb, sc, sd].map((s) => record<Typing>(s, 'typing'));

      expect(await sa.request('typing', { roomId, isTyping: true })).toEqual({ ok: true });
      await sb.waitFor(() => tb.length === 1, 'b told a is typing', 5000);
      expect(tb[0]).toMatchObject({ roomId, userId: a.id, isTyping: true });

      expect(await sa.request('typing', { roomId: groupId, isTyping: true })).toEqual({ ok: true });
      await sc.waitFor(() => tc.length === 1, 'c told a is typing in the group', 5000);
      await sb.waitFor(() => tb.length === 2, 'b told a is typing in the group', 5000);
      expect(tc[0]).toMatchObject({ roomId: groupId, userId: a.id, isTyping: true });

      // d is in neither room: refused with a code, and nobody hears of it
      for (const target of [roomId, groupId, newUserId()]) {
        const r = await sd.request('typing', { roomId: target, isTyping: true });
        expect(r).toMatchObject({ ok: false, error: { code: 'NOT_FOUND' } });
      }
      const bad = await sa.request('typing', { roomId, isTyping: 'yes' });
      expect(bad).toMatchObject({ ok: false, error: { code: 'VALIDATION_FAILED' } });

      await sleep(500);
      expect(ta).toEqual([]); // the typist is not told of its own typing
      expect(td).toEqual([]);
      expect(tb.filter((e) => e.userId === d.id)).toEqual([]);
      expect(tb).toHaveLength(2);
    });

    it('sends at most one start and one stop per 2 s however fast the client emits, then a stop after TYPING_STOP_MS', async () => {
      const [a, b] = await Promise.all([user(), user()]);
      const roomId = await room(a, b);
      const [sa, sb] = await Promise.all([t.connect(a.token, 0), t.connect(b.token, 1)]);
      const got = record<Typing>(sb, 'typing');

      // 30 starts and stops in 3 s: the member hears a handful, never two of a kind within 2 s
      for (let i = 0; i < 30; i++) {
        expect((await sa.request('typing', { roomId, isTyping: i % 3 !== 2 })).ok).toBe(true);
        await sleep(100);
      }
      const lastStart = Date.now();
      await sleep(4000);
      expect(got.length).toBeGreaterThanOrEqual(2);
      expect(got.length).toBeLessThanOrEqual(6);
      for (const dir of [true, false]) {
        const times = got.filter((e) => e.isTyping === dir).map((e) => e.at);
        // measured where it arrives: delivery jitter can shorten a gap a little
        for (let i = 1; i < times.length; i++) expect(times[i] - times[i - 1]).toBeGreaterThanOrEqual(1800);
      }
      // the member is left with the last word (a stop), soon after the client's last event
      expect(got[got.length - 1].isTyping).toBe(false);
      expect(got[got.length - 1].at - lastStart).toBeLessThan(4000);
    });

    it('ends a start nobody refreshed after TYPING_STOP_MS', async () => {
      const [a, b] = await Promise.all([user(), user()]);
      const roomId = await room(a, b);
      const [sa, sb] = await Promise.all([t.connect(a.token, 0), t.connect(b.token, 1)]);
      const got = record<Typing>(sb, 'typing');
      await sa.request('typing', { roomId, isTyping: true });
      await sb.waitFor(() => got.length === 2, 'a start and its implicit stop', 5000);
      expect(got.map((e) => e.isTyping)).toEqual([true, false]);
      const took = got[1].at - got[0].at;
      expect(took).toBeGreaterThan(1200);
      expect(took).toBeLessThan(2500);
    });

    it('is not kept for members who are offline', async () => {
      const [a, b] = await Promise.all([user(), user()]);
      const roomId = await room(a, b);
      const sa = await t.connect(a.token, 0);
      await sa.request('typing', { roomId, isTyping: true });
      await sleep(300);
      const sb = await t.connect(b.token, 1);
      const got = record<Typing>(sb, 'typing');
      await sleep(800);
      expect(got).toEqual([]);
    });
  });

  describe('presence', () => {
    it('tells only the people who share a room when a user comes online and, after the grace, goes offline', async () => {
      const [a, b, c] = await Promise.all([user(), user(), user()]);
      await room(a, b);
      await room(b, c); // c shares a room with b, not with a
      const [sb, sc] = await Promise.all([t.connect(b.token, 1), t.connect(c.token, 1)]);
      const [pb, pc] = [record<PresenceEvent>(sb, 'presence'), record<PresenceEvent>(sc, 'presence')];

      const sa = await t.connect(a.token, 0);
      await sb.waitFor(() => pb.some((p) => p.userId === a.id), 'b told a is online', 5000);
      expect(pb.filter((p) => p.userId === a.id)).toMatchObject([{ userId: a.id, online: true, lastSeenAt: null }]);

      sa.close();
      const closedAt = Date.now();
      await sb.waitFor(() => pb.filter((p) => p.userId === a.id).length === 2, 'b told a is offline', 5000);
      const off = pb.filter((p) => p.userId === a.id)[1];
      expect(off).toMatchObject({ userId: a.id, online: false });
      expect(off.at - closedAt).toBeGreaterThanOrEqual(900); // not before the grace
      expect(Math.abs(Date.parse(off.lastSeenAt!) - closedAt)).toBeLessThan(500);
      // c shares no room with a: told nothing
      expect(pc.filter((p) => p.userId === a.id)).toEqual([]);
    });

    it('does not flap when a user reconnects within the grace, even on another edge', async () => {
      const [a, b] = await Promise.all([user(), user()]);
      await room(a, b);
      const sb = await t.connect(b.token, 1);
      const pb = record<PresenceEvent>(sb, 'presence');
      let sa = await t.connect(a.token, 0);
      await sb.waitFor(() => pb.length === 1, 'online', 5000);
      for (const edge of [1, 0, 1]) {
        sa.close();
        await sleep(300);
        sa = await t.connect(a.token, edge);
      }
      await sleep(2500);
      expect(pb.map((p) => p.online)).toEqual([true]);
    });

    it('GET /chat/presence answers for people you share a room with; others 404, more than 100 ids 400', async () => {
      const [a, b, c] = await Promise.all([user(), user(), user()]);
      await room(a, b);
      const sb = await t.connect(b.token, 1);
      const ok = await t.http('GET', `/chat/presence?userIds=${b.id},${a.id}`, { token: a.token });
      expect(ok.status).toBe(200);
      expect(ok.body.presence).toEqual([
        { userId: b.id, online: true, lastSeenAt: null },
        { userId: a.id, online: false, lastSeenAt: null },
      ]);
      sb.close();
      await eventually(
        async () => (await t.http('GET', `/chat/presence?userIds=${b.id}`, { token: a.token })).body.presence?.[0]?.online === false,
        'b offline',
      );
      const seen = (await t.http('GET', `/chat/presence?userIds=${b.id}`, { token: a.token })).body.presence[0];
      expect(Date.now() - Date.parse(seen.lastSeenAt)).toBeLessThan(10_000);

      const stranger = await t.http('GET', `/chat/presence?userIds=${b.id},${c.id}`, { token: a.token });
      expect([stranger.status, stranger.body.error?.code]).toEqual([404, 'NOT_FOUND']);
      expect(stranger.body.error.details).toEqual({ userIds: [c.id] });

      const many = Array.from({ length: 101 }, () => newUserId()).join(',');
      for (const q of [`userIds=${many}`, 'userIds=', 'userIds=nothex', '']) {
        const r = await t.http('GET', `/chat/presence?${q}`, { token: a.token });
        expect([q.slice(0, 20), r.status, r.body.error?.code]).toEqual([q.slice(0, 20), 400, 'VALIDATION_FAILED']);
      }
    });

    it('hidden presence: others see nothing of the user, and the user sees nobody’s', async () => {
      const [a, b] = await Promise.all([user(), user()]);
      await room(a, b);
      const sb = await t.connect(b.token, 1);
      const pb = record<PresenceEvent>(sb, 'presence');

      const bad = await t.http('PATCH', '/chat/me/settings', { token: a.token, body: { showPresence: 'no' } });
      expect([bad.status, bad.body.error?.code]).toEqual([400, 'VALIDATION_FAILED']);
      const hide = await t.http('PATCH', '/chat/me/settings', { token: a.token, body: { showPresence: false } });
      expect([hide.status, hide.body]).toEqual([200, { settings: { showPresence: false, groupAdds: 'contacts', pushPreview: true } }]);
      // stored: the other edge reads it back
      expect((await t.http('GET', '/chat/me/settings', { token: a.token, edge: 1 })).body).toEqual({
        settings: { showPresence: false, groupAdds: 'contacts', pushPreview: true },
      });

      // a comes and goes: b is told nothing and reads nothing
      const sa = await t.connect(a.token, 0);
      const pa = record<PresenceEvent>(sa, 'presence');
      await sleep(500);
      expect((await t.http('GET', `/chat/presence?userIds=${a.id}`, { token: b.token })).body.presence).toEqual([
        { userId: a.id, online: null, lastSeenAt: null },
      ]);
      // reciprocal: a sees nothing of b, and is not told when b comes and goes
      expect((await t.http('GET', `/chat/presence?userIds=${b.id}`, { token: a.token })).body.presence).toEqual([
        { userId: b.id, online: null, lastSeenAt: null },
      ]);
      sb.close();
      await sleep(1800);
      expect(pa).toEqual([]);
      const sb2 = await t.connect(b.token, 1);
      const pb2 = record<PresenceEvent>(sb2, 'presence');
      sa.close();
      await sleep(1800);
      expect(pb.filter((p) => p.online !== null)).toEqual([]);
      expect(pb2).toEqual([]);

      // shown again: b reads a's last seen
      expect((await t.http('PATCH', '/chat/me/settings', { token: a.token, body: { showPresence: true } })).status).toBe(200);
      const back = (await t.http('GET', `/chat/presence?userIds=${a.id}`, { token: b.token })).body.presence[0];
      expect(back).toMatchObject({ userId: a.id, online: false });
      expect(back.lastSeenAt).not.toBeNull();
    });
  });
});
