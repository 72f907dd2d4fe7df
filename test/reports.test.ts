import type { MessageView } from '@chat/contracts';
import { eventually, newUserId, TestStack, type TestClient } from './support/harness';

function collect(c: TestClient, event: string): any[] {
  const seen: any[] = [];
  c.socket.on(event, (p: unknown) => seen.push(p));
  return seen;
}

const refusal = (r: { status: number; body: any }) => [r.status, r.body?.error?.code];

/**
 * Reports: a member reports a message of the room; the room's worker stores it with a snapshot of the
 * message; operators list the open ones on /admin and keep the message or delete it, a delete being a
 * tombstone marked deletedBy 'moderator' that every member hears of, live or when they next connect.
 */
describe('reported messages', () => {
  const t = new TestStack();
  beforeAll(() => t.start(), 120_000);
  afterAll(() => t.stop(), 60_000);

  async function user() {
    const id = newUserId();
    return { id, token: await t.token(id) };
  }

  let operator: { id: string; token: string };
  beforeAll(async () => {
    const id = newUserId();
    operator = { id, token: await t.token(id, 'admin') };
  });
  /** The dashboard's API as its page calls it (the page sends the cookie; a script the bearer token). */
  const admin = (method: string, path: string, token = operator.token) =>
    t.http(method, `/admin/api${path}`, { token, headers: method === 'GET' ? {} : { 'x-chat-admin': '1' } });
  const openReports = async () => (await admin('GET', '/reports?limit=500')).body.reports as any[];
  const reportOf = async (reportId: string) => (await openReports()).find((r) => r.reportId === reportId);

  async function stored(token: string, body: { receiverId: string; roomId: string; content: string }): Promise<MessageView> {
    const r = await t.http('POST', '/chat/messages', { token, body });
    expect(r.status).toBe(202);
    await eventually(async () => (await t.storedMessages(body.roomId, token)).some((m) => m.id === r.body.message.id), 'stored');
    return r.body.message;
  }
  const report = (token: string, messageId: string, body: unknown = { reason: 'spam' }) =>
    t.http('POST', `/chat/message/${messageId}/report`, { token, body });

  it('stores a member’s report with the message as it was then; outsiders, one’s own message and bad input are refused', async () => {
    const { a, b, ta, tb, roomId } = await t.pair();
    const m = await stored(tb, { receiverId: a, roomId, content: 'buy my stuff' });

    const r = await report(ta, m.id, { reason: 'spam' });
    expect([r.status, r.body]).toEqual([202, { reportId: expect.stringMatching(/^[0-9a-f]{24}$/), messageId: m.id, status: 'accepted' }]);
    await eventually(async () => Boolean(await reportOf(r.body.reportId)), 'the report is listed');
    // edited after the report: the report keeps what was reported
    expect((await t.http('PUT', `/chat/message/${m.id}`, { token: tb, body: { content: 'nothing to see' } })).status).toBe(202);
    await eventually(async () => (await t.storedMessages(roomId, ta)).some((x) => x.content === 'nothing to see'), 'edited');
    expect(await reportOf(r.body.reportId)).toEqual({
      reportId: r.body.reportId,
      roomId,
      messageId: m.id,
      reporterId: a,
      reason: 'spam',
      createdAt: expect.any(String),
      status: 'open',
      message: { senderId: b, seq: 1, content: 'buy my stuff', createdAt: m.createdAt, editedAt: null, deleted: false },
    });
    // reporting again is the same report
    const again = await report(ta, m.id, { reason: 'still spam' });
    expect([again.status, again.body.reportId]).toEqual([202, r.body.reportId]);

    const c = await user();
    for (const [token, messageId, body, status, code] of [
      [c.token, m.id, { reason: 'x' }, 404, 'NOT_FOUND'], // not in the room
      [ta, newUserId(), { reason: 'x' }, 404, 'NOT_FOUND'],
      [tb, m.id, { reason: 'x' }, 400, 'VALIDATION_FAILED'], // one's own message
      [ta, 'nope', { reason: 'x' }, 400, 'VALIDATION_FAILED'],
      [ta, m.id, {}, 400, 'VALIDATION_FAILED'],
      [ta, m.id, { reason: '   ' }, 400, 'VALIDATION_FAILED'],
      [ta, m.id, { reason: 'x'.repeat(501) }, 400, 'VALIDATION_FAILED'],
      [ta, m.id, { reason: 'x', extra: true }, 400, 'VALIDATION_FAILED'],
    ] as const) {
      const res = await report(token, messageId, body);
      expect([messageId, JSON.stringify(body), ...refusal(res)]).toEqual([messageId, JSON.stringify(body), status, code]);
    }
    expect((await openReports()).filter((x) => x.messageId === m.id)).toHaveLength(1);
  });

  it('lets a group member report only messages from when it joined', async () => {
    const [owner, early, late] = [await user(), await user(), await user()];
    await t.letAnyoneAdd(early.token, late.token);
    const g = await t.http('POST', '/chat/groups', { token: owner.token, body: { name: 'g', memberIds: [early.id] } });
    const groupId = g.body.groupId as string;
    await eventually(async () => (await t.http('GET', `/chat/groups/${groupId}/members`, { token: owner.token })).status === 200, 'group');
    const old = await t.http('POST', `/chat/groups/${groupId}/messages`, { token: owner.token, body: { content: 'before you came' } });
    await eventually(async () => (await t.storedMessages(groupId, owner.token)).some((x) => x.id === old.body.message.id), 'stored');
    await t.http('POST', `/chat/groups/${groupId}/members`, { token: owner.token, body: { userIds: [late.id] } });
    await eventually(
      async () => (await t.http('GET', `/chat/groups/${groupId}/members`, { token: owner.token })).body.members.includes(late.id),
      'late joined',
    );
    expect(refusal(await report(late.token, old.body.message.id))).toEqual([404, 'NOT_FOUND']);
    expect((await report(early.token, old.body.message.id)).status).toBe(202);
  });

  it('is for operators only: a user’s token is refused, and a change needs the x-chat-admin header', async () => {
    const u = await user();
    expect(refusal(await admin('GET', '/reports', u.token))).toEqual([403, 'FORBIDDEN']);
    expect(refusal(await t.http('GET', '/admin/api/reports', {}))).toEqual([401, 'UNAUTHENTICATED']);
    const someReport = newUserId();
    expect(refusal(await t.http('POST', `/admin/api/reports/${someReport}/resolve`, { token: operator.token }))).toEqual([
      403,
      'FORBIDDEN',
    ]);
    expect(refusal(await admin('POST', `/reports/${someReport}/resolve`, u.token))).toEqual([403, 'FORBIDDEN']);
    expect(refusal(await admin('POST', `/reports/${someReport}/resolve`))).toEqual([404, 'NOT_FOUND']);
    expect(refusal(await admin('POST', '/reports/nope/delete-message'))).toEqual([400, 'VALIDATION_FAILED']);
    expect(refusal(await admin('GET', '/reports?limit=0'))).toEqual([400, 'VALIDATION_FAILED']);
  });

  it('an operator keeps the message: the report is closed and the message stays', async () => {
    const { a, ta, tb, roomId } = await t.pair();
    const m = await stored(tb, { receiverId: a, roomId, content: 'borderline' });
    const r = await report(ta, m.id);
    await eventually(async () => Boolean(await reportOf(r.body.reportId)), 'listed');
    const kept = await admin('POST', `/reports/${r.body.reportId}/resolve`);
    expect([kept.status, kept.body]).toEqual([202, { reportId: r.body.reportId, action: 'resolve', status: 'accepted' }]);
    await eventually(async () => !(await reportOf(r.body.reportId)), 'no longer open');
    expect(refusal(await admin('POST', `/reports/${r.body.reportId}/delete-message`))).toEqual([409, 'CONFLICT']);
    expect((await t.storedMessages(roomId, ta)).map((x) => x.content)).toEqual(['borderline']);
  });

  it('an operator deletes the message: a tombstone deletedBy moderator, told to every member, unpinned, in history and the sync', async () => {
    const [owner, sender, away] = [await user(), await user(), await user()];
    await t.letAnyoneAdd(sender.token, away.token);
    const g = await t.http('POST', '/chat/groups', { token: owner.token, body: { name: 'g', memberIds: [sender.id, away.id] } });
    const groupId = g.body.groupId as string;
    await eventually(
      async () => (await t.http('GET', `/chat/groups/${groupId}/members`, { token: owner.token })).body.members?.length === 3,
      'group',
    );
    const [so, ss, sa] = await Promise.all([t.connect(owner.token, 0), t.connect(sender.token, 1), t.connect(away.token, 1)]);
    const m = (await ss.request('send_group_message', { groupId, content: 'something awful', clientMsgId: 'bad-1' }))
      .message as MessageView;
    await sa.waitFor(() => sa.received.some((x) => x.id === m.id), 'away got it');
    await eventually(async () => (await t.storedMessages(groupId, owner.token)).some((x) => x.id === m.id), 'stored');
    const seq = (await t.storedMessages(groupId, owner.token)).find((x) => x.id === m.id)!.seq!;
    const pinned = collect(so, 'message_pinned');
    expect((await t.http('POST', `/chat/rooms/${groupId}/pins`, { token: owner.token, body: { messageId: m.id } })).status).toBe(202);
    await so.waitFor(() => pinned.length === 1, 'pinned');
    // two members report it; `away` then goes away
    const r1 = await report(owner.token, m.id, { reason: 'abuse' });
    const r2 = await report(away.token, m.id, { reason: 'abuse too' });
    await eventually(async () => Boolean(await reportOf(r1.body.reportId)) && Boolean(await reportOf(r2.body.reportId)), 'listed');
    const since = { [groupId]: seq };
    sa.close();
    await eventually(async () => (await t.presence(away.id)) === 0, 'away offline');

    const [oDeleted, sDeleted, oUnpinned, sStatus] = [
      collect(so, 'message_deleted'),
      collect(ss, 'message_deleted'),
      collect(so, 'message_unpinned'),
      collect(ss, 'delete_message_status'),
    ];
    const del = await admin('POST', `/reports/${r1.body.reportId}/delete-message`);
    expect([del.status, del.body]).toEqual([202, { reportId: r1.body.reportId, action: 'delete', status: 'accepted' }]);
    const notice = { messageId: m.id, roomId: groupId, groupId, deletedAt: expect.any(String), deletedBy: 'moderator' };
    await so.waitFor(() => oDeleted.length === 1 && oUnpinned.length === 1, 'the owner told');
    await ss.waitFor(() => sDeleted.length === 1, 'the sender told');
    expect(oDeleted[0]).toEqual(notice);
    expect(sDeleted[0]).toEqual(notice);
    expect(oUnpinned[0]).toEqual({ roomId: groupId, messageId: m.id, by: 'moderator' });
    expect(sStatus).toEqual([]);

    // both reports of the message are closed; history and the pins show it gone
    await eventually(async () => !(await reportOf(r1.body.reportId)) && !(await reportOf(r2.body.reportId)), 'reports closed');
    const history = (await t.http('GET', `/chat/groups/${groupId}/messages`, { token: sender.token })).body.messages as any[];
    expect(history.find((x) => x.id === m.id)).toEqual({
      id: m.id,
      roomId: groupId,
      seq,
      deleted: true,
      deletedAt: expect.any(String),
      deletedBy: 'moderator',
    });
    expect((await t.http('GET', `/chat/rooms/${groupId}/pins`, { token: owner.token })).body.pins).toEqual([]);
    expect((await t.http('GET', `/chat/groups`, { token: owner.token })).body.groups[0].lastMessage).toMatchObject({ deleted: true });

    // the member who was away hears of it when it comes back with what it had
    const back = await t.connect(away.token, 0, { since });
    const awayDeleted = collect(back, 'message_deleted');
    await back.waitFor(() => awayDeleted.some((x) => x.messageId === m.id), 'away told on reconnect');
    expect(awayDeleted.find((x) => x.messageId === m.id)).toEqual(notice);
    // a sender may not take it back
    expect((await ss.request('edit_message', { messageId: m.id, newContent: 'fine now' })).ok).toBe(false);
  });
});
