import type { MessageView } from '@chat/contracts';
import { eventually, newUserId, TestStack } from './support/harness';

const SCAN_LIMIT = 100;

/** GET /chat/search: words in the caller's own rooms, newest first, paged; the FerretDB scan's bound. */
describe('message search', () => {
  const t = new TestStack({ env: { SEARCH_SCAN_LIMIT: String(SCAN_LIMIT) } });
  beforeAll(() => t.start(), 120_000);
  afterAll(() => t.stop(), 60_000);

  const search = (token: string, query: Record<string, string | number>) =>
    t.http(
      'GET',
      `/chat/search?${new URLSearchParams(Object.entries(query).map(([k, v]): [string, string] => [k, String(v)])).toString()}`,
      { token },
    );
  const ids = (r: { body: { messages: MessageView[] } }) => r.body.messages.map((m) => m.id);

  /** Sends through REST and waits until the room's history has it; sends apart in time, so each is newer. */
  async function stored(token: string, roomId: string, receiverId: string, content: string, path = '/chat/messages'): Promise<MessageView> {
    await new Promise((r) => setTimeout(r, 5));
    const r = await t.http('POST', path, { token, body: path === '/chat/messages' ? { receiverId, roomId, content } : { content } });
    expect(r.status).toBe(202);
    await eventually(async () => (await t.storedMessages(roomId, token)).some((m) => m.id === r.body.message.id), 'stored');
    return r.body.message;
  }

  it('finds messages holding every word, in all the caller’s rooms or one, newest first, paged; never a deleted one', async () => {
    const { a, b, ta, tb, roomId } = await t.pair();
    const c = newUserId();
    const tc = await t.token(c);
    const other = (await t.http('POST', '/chat/conversation', { token: ta, body: { user1: a, user2: c } })).body.conversation.id as string;
    const m1 = await stored(ta, roomId, b, 'Lunch at the Café tomorrow?');
    const m2 = await stored(ta, other, c, 'lunch moved to noon');
    await stored(ta, roomId, b, 'no food here, concatenate');
    const m4 = await stored(tb, roomId, a, 'LUNCH is cancelled!');
    const gone = await stored(tb, roomId, a, 'secret lunch plans');
    expect((await t.http('DELETE', `/chat/message/${gone.id}/${b}`, { token: tb })).status).toBe(202);
    await eventually(async () => (await t.storedMessages(roomId, ta)).some((m) => m.id === gone.id && 'deleted' in m), 'deleted');

    const all = await search(ta, { q: 'lunch' });
    expect(all.status).toBe(200);
    expect(ids(all)).toEqual([m4.id, m2.id, m1.id]);
    expect(all.body.messages[0]).toMatchObject({ id: m4.id, roomId, senderId: b, content: 'LUNCH is cancelled!' });
    expect(all.body).toMatchObject({ nextBefore: null });
    // every word, whole words, any case and accents; regex characters are plain text
    expect(ids(await search(ta, { q: 'cafe LUNCH' }))).toEqual([m1.id]);
    expect(ids(await search(ta, { q: 'caf' }))).toEqual([]);
    expect(ids(await search(ta, { q: 'cat' }))).toEqual([]);
    expect(ids(await search(ta, { q: 'lunch.*' }))).toEqual([m4.id, m2.id, m1.id]);
    // one room
    expect(ids(await search(ta, { q: 'lunch', roomId }))).toEqual([m4.id, m1.id]);
    // each participant sees only its own rooms
    expect(ids(await search(tb, { q: 'lunch' }))).toEqual([m4.id, m1.id]);
    expect(ids(await search(tc, { q: 'lunch' }))).toEqual([m2.id]);
    // pages
    const first = await search(ta, { q: 'lunch', limit: 2 });
    expect(ids(first)).toEqual([m4.id, m2.id]);
    expect(typeof first.body.nextBefore).toBe('string');
    const second = await search(ta, { q: 'lunch', limit: 2, before: first.body.nextBefore });
    expect(ids(second)).toEqual([m1.id]);
    expect(second.body.nextBefore).toBeNull();
  }, 90_000);

  it('outsiders get the 404 of an unknown room; a removed group member no longer finds the group’s messages', async () => {
    const { b: bId, ta, tb, roomId } = await t.pair();
    const outsider = await t.token(newUserId());
    const unknown = await search(outsider, { q: 'hello', roomId: newUserId() });
    const notMine = await search(outsider, { q: 'hello', roomId });
    expect([unknown.status, unknown.body.error?.code]).toEqual([404, 'NOT_FOUND']);
    expect([notMine.status, notMine.body]).toEqual([unknown.status, unknown.body]);
    expect(ids(await search(outsider, { q: 'hello' }))).toEqual([]);

    const [admin, member] = [{ token: ta }, { token: tb }];
    await t.letAnyoneAdd(admin.token, member.token);
    const created = await t.http('POST', '/chat/groups', { token: admin.token, body: { name: 'plans', memberIds: [bId] } });
    expect(created.status).toBe(202);
    const groupId = created.body.groupId as string;
    await eventually(async () => (await t.http('GET', `/chat/groups/${groupId}/members`, { token: tb })).status === 200, 'member added');
    const g = await stored(ta, groupId, groupId, 'the budget plan is ready', `/chat/groups/${groupId}/messages`);
    expect(ids(await search(member.token, { q: 'budget' }))).toEqual([g.id]);
    expect(ids(await search(member.token, { q: 'budget', roomId: groupId }))).toEqual([g.id]);

    expect((await t.http('DELETE', `/chat/groups/${groupId}/members/${bId}`, { token: admin.token })).status).toBe(202);
    await eventually(async () => (await t.http('GET', `/chat/groups/${groupId}/members`, { token: tb })).status === 404, 'member removed');
    expect(ids(await search(member.token, { q: 'budget' }))).toEqual([]);
    const removed = await search(member.token, { q: 'budget', roomId: groupId });
    expect([removed.status, removed.body]).toEqual([unknown.status, unknown.body]);
    expect(ids(await search(admin.token, { q: 'budget' }))).toEqual([g.id]);
  }, 90_000);

  it('refuses bad input with 400 VALIDATION_FAILED', async () => {
    const { ta, roomId } = await t.pair();
    const cases: Array<Record<string, string | number>> = [
      { q: 'x' },
      { q: 'x'.repeat(1000) },
      {},
      { q: '?!' },
      { q: 'a b c d e f g h i j k' },
      { q: 'hello', limit: 51 },
      { q: 'hello', limit: 0 },
      { q: 'hello', before: 'garbage' },
      { q: 'hello', before: `123.${'z'.repeat(24)}` },
      { q: 'hello', roomId: 'nope' },
      { q: 'hello', roomId, extra: 1 },
    ];
    for (const query of cases) {
      const r = await search(ta, query);
      expect([JSON.stringify(query).slice(0, 60), r.status, r.body.error?.code]).toEqual([
        JSON.stringify(query).slice(0, 60),
        400,
        'VALIDATION_FAILED',
      ]);
    }
    const twice = await t.http('GET', '/chat/search?q=hello&q=world', { token: ta });
    expect([twice.status, twice.body.error?.code]).toEqual([400, 'VALIDATION_FAILED']);
  }, 60_000);

  it(`on FerretDB searches only the newest ${SCAN_LIMIT} messages of the rooms searched, and says so (MongoDB: all)`, async () => {
    const storeKind = t.logLines('edge-1', 'search ready')[0]?.storeKind;
    expect(['ferretdb', 'mongodb']).toContain(storeKind);
    const { b, ta, roomId } = await t.pair();
    const old = await stored(ta, roomId, b, 'needle in the haystack');
    // more than the bound after it, in a few parallel lanes (their order does not matter)
    const fill = Array.from({ length: SCAN_LIMIT + 40 }, (_, i) => `hay ${i}`);
    for (let i = 0; i < fill.length; i += 10)
      await Promise.all(
        fill.slice(i, i + 10).map((content) => t.http('POST', '/chat/messages', { token: ta, body: { receiverId: b, roomId, content } })),
      );
    const fresh = await stored(ta, roomId, b, 'a fresh needle');
    await eventually(async () => (await t.storedMessages(roomId, ta)).length === fill.length + 2, 'all stored');

    for (const query of [{ q: 'needle' }, { q: 'needle', roomId }] as Array<Record<string, string>>) {
      const r = await search(ta, query);
      expect(r.status).toBe(200);
      if (storeKind === 'ferretdb') {
        expect(ids(r)).toEqual([fresh.id]);
        expect(r.body.partial).toBe(true);
        // what was searched: everything sent after searchedSince, which is after the old needle
        expect(Date.parse(r.body.searchedSince)).toBeGreaterThan(Date.parse(old.createdAt));
        expect(Date.parse(r.body.searchedSince)).toBeLessThan(Date.parse(fresh.createdAt));
      } else {
        expect(ids(r)).toEqual([fresh.id, old.id]);
        expect(r.body).toMatchObject({ partial: false, searchedSince: null });
      }
    }
    // a page filled within the bound is whole
    const hay = await search(ta, { q: 'hay', limit: 5 });
    expect(hay.body.messages).toHaveLength(5);
    expect(hay.body).toMatchObject({ partial: false, searchedSince: null, nextBefore: expect.any(String) });
  }, 120_000);
});
