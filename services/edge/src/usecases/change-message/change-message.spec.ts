import { buildTopology } from '@chat/broker';
import type { AppError, EditMessageCommand } from '@chat/contracts';
import type { MessageDoc, RoomScope } from '@chat/store';
import type { AcceptedLog, CommandBus, Messages } from '../ports';
import { SenderLanes } from '../sender-lanes';
import { ChangeMessageUseCase, type ChangeRequest } from './change-message.usecase';

const [A, B, ROOM, GROUP] = ['a', 'b', 'c', 'e'].map((x) => x.repeat(24));
const T0 = Date.parse('2026-01-01T00:00:00Z');
const WINDOW = 60_000;
const topology = buildTopology('t');

/** One stored message of A's (in a one-to-one room, or in a group A may have left), asked about at `now`. */
function setup(stored: Partial<MessageDoc> = {}, o: { now?: number; member?: boolean } = {}) {
  const msg = {
    _id: 'm',
    roomId: ROOM,
    seq: 1,
    senderId: A,
    receiverId: B,
    content: 'hi',
    createdAt: new Date(T0),
    editedAt: null,
    deletedAt: null,
    ...stored,
  } as unknown as MessageDoc;
  const published: Array<{ key: string; cmd: EditMessageCommand }> = [];
  const bus: CommandBus = {
    publishConfirmed: async (key, payload) => void published.push({ key, cmd: payload as EditMessageCommand }),
    route: topology.route,
  };
  const messages = {
    findForParticipant: async (id: string, userId: string) => (id === 'm' && [A, B].includes(userId) ? msg : null),
  } as unknown as Messages;
  const scopes = { scopeFor: async () => (o.member === false ? null : ({ roomId: msg.roomId } as RoomScope)) };
  const accepted: AcceptedLog = { get: async () => null, remember: async (m) => m };
  const uc = new ChangeMessageUseCase(messages, scopes, accepted, bus, new SenderLanes(), {
    editWindowMs: WINDOW,
    waitForStoreMs: 0,
    now: () => new Date(o.now ?? T0 + 1000),
  });
  const refusal = (req: ChangeRequest) =>
    uc.execute(req).then(
      () => 'accepted',
      (e: AppError) => e.code,
    );
  return { uc, published, refusal };
}
const edit = (userId = A, content = 'edited'): ChangeRequest => ({ kind: 'edit', userId, messageId: 'm', content });
const del = (userId = A): ChangeRequest => ({ kind: 'delete', userId, messageId: 'm' });

describe('ChangeMessageUseCase (the edge pre-checks with the rule the worker applies)', () => {
  it('sends the sender’s edit within the window through the room’s ordered queue', async () => {
    const s = setup();
    await expect(s.uc.execute(edit())).resolves.toEqual({ messageId: 'm', roomId: ROOM, status: 'accepted' });
    expect(s.published).toEqual([
      {
        key: topology.route('message.edit.v1', ROOM),
        cmd: expect.objectContaining({ actorId: A, content: 'edited', requestedAt: new Date(T0 + 1000).toISOString() }),
      },
    ]);
  });

  it('refuses at once what the rule refuses, publishing nothing', async () => {
    const cases: Array<[ReturnType<typeof setup>, ChangeRequest, string]> = [
      [setup(), edit(B), 'FORBIDDEN'],
      [setup(), del(B), 'FORBIDDEN'],
      [setup(), edit(A, '   '), 'VALIDATION_FAILED'],
      [setup({}, { now: T0 + WINDOW + 1 }), edit(), 'EDIT_WINDOW_CLOSED'],
      [setup({ deletedAt: new Date(T0) }), edit(), 'CONFLICT'],
      [setup({ roomId: GROUP, receiverId: GROUP, groupId: GROUP }, { member: false }), del(), 'NOT_FOUND'],
      [setup(), { ...edit(), messageId: 'gone' }, 'NOT_FOUND'],
    ];
    for (const [s, req, code] of cases) {
      expect([req, await s.refusal(req)]).toEqual([req, code]);
      expect(s.published).toEqual([]);
    }
  });

  it('accepts a delete of a deleted message (the worker reports it applied again)', async () => {
    const s = setup({ deletedAt: new Date(T0) });
    await expect(s.uc.execute(del())).resolves.toMatchObject({ status: 'accepted' });
    expect(s.published).toHaveLength(1);
  });
});
