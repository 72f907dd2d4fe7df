import type { MessageView } from '@chat/contracts';
import type { CursorDoc, MessageDoc, RoomScope } from '@chat/store';
import { TraceMessageUseCase, type FanoutRecords } from './trace-message.usecase';

const A = 'a'.repeat(24);
const B = 'b'.repeat(24);
const C = 'c'.repeat(24);
const ROOM = 'd'.repeat(24);
const GROUP = 'e'.repeat(24);
const ID = 'f'.repeat(24);
const t = (s: number) => new Date(Date.UTC(2030, 0, 1, 0, 0, s));

const doc = (o: Partial<MessageDoc> = {}): MessageDoc =>
  ({
    _id: ID,
    roomId: ROOM,
    seq: 5,
    senderId: A,
    receiverId: B,
    content: 'x',
    clientMsgId: null,
    createdAt: t(0),
    editedAt: null,
    deletedAt: null,
    ...o,
  }) as unknown as MessageDoc;

const cursor = (userId: string, o: Partial<CursorDoc>): CursorDoc => ({
  _id: `${ROOM}:${userId}`,
  roomId: ROOM,
  userId,
  deliveredSeq: 0,
  deliveredAt: null,
  readSeq: 0,
  readAt: null,
  ...o,
});

function setup(o: { doc?: MessageDoc; cursors?: CursorDoc[]; members?: string[]; accepted?: MessageView; records?: FanoutRecords } = {}) {
  const members = o.members ?? [A, B];
  return new TraceMessageUseCase(
    { findByIds: async (ids) => (o.doc && ids.includes(ID) ? [o.doc] : []) },
    {
      scopeFor: async (roomId, userId) =>
        members.includes(userId) ? ({ roomId, userId, participants: members, kind: 'direct', fromSeq: 0 } as unknown as RoomScope) : null,
    },
    { forRoom: async () => new Map((o.cursors ?? []).map((c) => [c.userId, c])) },
    { get: async (id) => (o.accepted && o.accepted.id === id ? o.accepted : null) },
    o.records ?? {
      read: async () =>
        new Map([
          [
            ID,
            {
              fannedOut: {
                at: t(2).getTime(),
                online: 1,
                parked: 0,
                edges: ['edge-2.cd'],
                edgeCount: 1,
                storedAt: t(1).getTime(),
                acceptedBy: 'edge-1.ab',
              },
            },
          ],
        ]),
    },
  );
}

describe('TraceMessageUseCase', () => {
  it('shows the sender every stage, exact when the cursor’s last move passed the message', async () => {
    const uc = setup({
      doc: doc(),
      cursors: [cursor(B, { deliveredSeq: 5, deliveredFrom: 4, deliveredAt: t(3), readSeq: 5, readFrom: 0, readAt: t(4) })],
    });
    expect(await uc.execute(A, ID)).toEqual({
      messageId: ID,
      roomId: ROOM,
      kind: 'direct',
      accepted: { at: t(0).toISOString(), edge: 'edge-1.ab' },
      stored: { at: t(1).toISOString(), seq: 5 },
      fannedOut: { at: t(2).toISOString(), to: 'online', edges: ['edge-2.cd'] },
      delivered: { at: t(3).toISOString(), exact: true },
      read: { at: t(4).toISOString(), exact: true },
    });
  });

  it('reads the stored time and the accepting edge from an older message’s document, and knows neither once the record expired', async () => {
    const older = setup({ doc: doc({ storedAt: t(1), acceptedBy: 'edge-3.ef' }), records: { read: async () => new Map() } });
    expect(await older.execute(A, ID)).toMatchObject({
      accepted: { edge: 'edge-3.ef' },
      stored: { at: t(1).toISOString(), seq: 5 },
      fannedOut: null,
    });
    const expired = setup({ doc: doc(), records: { read: async () => new Map() } });
    expect(await expired.execute(A, ID)).toMatchObject({ accepted: { at: t(0).toISOString(), edge: null }, stored: { at: null, seq: 5 } });
  });

  it('gives an upper bound when a later move passed the cursor on, never a delivery after the read', async () => {
    // delivered moved again (to 9) after the message was read: its time is not this message's
    const uc = setup({
      doc: doc(),
      cursors: [cursor(B, { deliveredSeq: 9, deliveredFrom: 6, deliveredAt: t(9), readSeq: 5, readFrom: 4, readAt: t(4) })],
    });
    const trace = await uc.execute(A, ID);
    expect(trace.delivered).toEqual({ at: t(4).toISOString(), exact: false });
    expect(trace.read).toEqual({ at: t(4).toISOString(), exact: true });
    // a cursor last moved before the seqs before a move were kept: the time stands, as an upper bound
    const old = setup({ doc: doc(), cursors: [cursor(B, { deliveredSeq: 5, deliveredAt: t(3) })] });
    expect((await old.execute(A, ID)).delivered).toEqual({ at: t(3).toISOString(), exact: false });
  });

  it('shows parked and nothing delivered for a receiver who was away', async () => {
    const uc = setup({
      doc: doc(),
      records: { read: async () => new Map([[ID, { fannedOut: { at: t(2).getTime(), online: 0, parked: 1, edges: [], edgeCount: 0 } }]]) },
    });
    const trace = await uc.execute(A, ID);
    expect(trace.fannedOut).toEqual({ at: t(2).toISOString(), to: 'parked' });
    expect([trace.delivered, trace.read]).toEqual([null, null]);
  });

  it('counts the members of a group, as its receipts do', async () => {
    const members = [A, B, C];
    const uc = setup({
      doc: doc({ roomId: GROUP, receiverId: GROUP, groupId: GROUP }),
      members,
      cursors: [cursor(B, { deliveredSeq: 5, readSeq: 5 }), cursor(C, { deliveredSeq: 7 })],
      records: {
        read: async () => new Map([[ID, { fannedOut: { at: t(2).getTime(), online: 1, parked: 1, edges: ['e1'], edgeCount: 1 } }]]),
      },
    });
    const trace = await uc.execute(A, ID);
    expect(trace.kind).toBe('group');
    expect(trace.fannedOut).toEqual({ at: t(2).toISOString(), online: 1, parked: 1, edges: 1 });
    expect([trace.delivered, trace.read]).toEqual([
      { count: 2, of: 2 },
      { count: 1, of: 2 },
    ]);
  });

  it('answers the receiver, a stranger and an unknown id with the same 404', async () => {
    const uc = setup({ doc: doc() });
    for (const [user, id] of [
      [B, ID],
      [C, ID],
      [A, '0'.repeat(24)],
    ])
      await expect(uc.execute(user, id)).rejects.toMatchObject({ code: 'NOT_FOUND', message: 'message not found' });
  });

  it('shows a message accepted and not yet stored as accepted only, to its sender alone', async () => {
    const accepted = { id: ID, roomId: ROOM, senderId: A, receiverId: B, createdAt: t(0).toISOString() } as MessageView;
    const uc = setup({ accepted });
    expect(await uc.execute(A, ID)).toMatchObject({ accepted: { at: t(0).toISOString() }, stored: null, fannedOut: null, delivered: null });
    await expect(uc.execute(B, ID)).rejects.toMatchObject({ code: 'NOT_FOUND' });
  });

  it('says the records are unavailable rather than that nothing was fanned out', async () => {
    const uc = setup({
      doc: doc(),
      records: {
        read: async () => {
          throw new Error('redis down');
        },
      },
    });
    await expect(uc.execute(A, ID)).rejects.toMatchObject({ code: 'UNAVAILABLE' });
  });
});
