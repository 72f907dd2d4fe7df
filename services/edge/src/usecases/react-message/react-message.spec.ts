import { buildTopology } from '@chat/broker';
import type { AppError, ReactMessageCommand } from '@chat/contracts';
import type { MessageDoc, RoomScope } from '@chat/store';
import type { AcceptedLog, CommandBus } from '../ports';
import { SenderLanes } from '../sender-lanes';
import { ReactMessageUseCase, type ReactRequest } from './react-message.usecase';

const [A, B, C, ROOM] = ['a', 'b', 'c', 'd'].map((x) => x.repeat(24));
const topology = buildTopology('t');

function setup(stored: Partial<MessageDoc> = {}, o: { fromSeq?: number } = {}) {
  const msg = { _id: 'm', roomId: ROOM, seq: 3, senderId: A, receiverId: B, content: 'hi', deletedAt: null, ...stored } as MessageDoc;
  const published: Array<{ key: string; cmd: ReactMessageCommand }> = [];
  const bus: CommandBus = {
    publishConfirmed: async (key, payload) => void published.push({ key, cmd: payload as ReactMessageCommand }),
    route: topology.route,
  };
  const messages = { findByIds: async (ids: string[]) => (ids[0] === 'm' ? [msg] : []) };
  const scopes = {
    scopeFor: async (roomId: string, userId: string) =>
      [A, B].includes(userId)
        ? ({
            roomId,
            userId,
            participants: [A, B],
            kind: msg.groupId ? 'group' : 'direct',
            fromSeq: o.fromSeq ?? 0,
          } as unknown as RoomScope)
        : null,
  };
  const accepted: AcceptedLog = { get: async () => null, remember: async (m) => m };
  const uc = new ReactMessageUseCase(messages, scopes, accepted, bus, new SenderLanes(), { waitForStoreMs: 0 });
  const outcome = (req: Partial<ReactRequest>) =>
    uc.execute({ userId: B, messageId: 'm', emoji: '👍', on: true, ...req }).then(
      () => 'accepted',
      (e: AppError) => e.code,
    );
  return { uc, published, outcome };
}

describe('ReactMessageUseCase (edge)', () => {
  it('sends a member’s reaction through the room’s ordered queue', async () => {
    const s = setup();
    await expect(s.uc.execute({ userId: B, messageId: 'm', emoji: '👍', on: true })).resolves.toEqual({
      messageId: 'm',
      roomId: ROOM,
      emoji: '👍',
      on: true,
      status: 'accepted',
    });
    expect(s.published).toEqual([
      { key: topology.route('message.react.v1', ROOM), cmd: expect.objectContaining({ actorId: B, emoji: '👍', on: true, roomId: ROOM }) },
    ]);
  });

  it('refuses outsiders, unknown messages, messages from before a group member joined, and deleted messages', async () => {
    expect(await setup().outcome({ userId: C })).toBe('NOT_FOUND');
    expect(await setup().outcome({ messageId: 'x' })).toBe('NOT_FOUND');
    expect(await setup({ groupId: ROOM }, { fromSeq: 3 }).outcome({})).toBe('NOT_FOUND');
    const deleted = setup({ deletedAt: new Date() });
    expect(await deleted.outcome({})).toBe('CONFLICT');
    expect(deleted.published).toEqual([]);
  });

  it('refuses a 21st different emoji', async () => {
    const full = Array.from({ length: 20 }, (_, i) => ({ emoji: `e${i}`, userIds: [A] }));
    expect(await setup({ reactions: full }).outcome({ emoji: 'new' })).toBe('LIMIT_REACHED');
    expect(await setup({ reactions: full }).outcome({ emoji: 'e1' })).toBe('accepted');
  });
});
