import type { PinCommand } from '@chat/contracts';
import type { ConversationDoc, MessageDoc } from '@chat/store';
import { ApplyPinUseCase, type PinPort } from './apply-pin.usecase';

const [A, B, ROOM, MSG] = ['a', 'b', 'c', 'd'].map((x) => x.repeat(24));

function port(o: { deleted?: boolean; pinned?: string[] } = {}) {
  const pinned = new Set(o.pinned ?? []);
  const p: PinPort = {
    room: async () => ({ kind: 'direct', participants: [A, B], admins: [] }) as unknown as ConversationDoc,
    findByIds: async (ids) =>
      ids.map((id) => ({ _id: id, roomId: ROOM, deletedAt: o.deleted ? new Date() : null }) as unknown as MessageDoc),
    state: async (_room, id) => ({ pinned: pinned.has(id), count: pinned.size }),
    add: async (_room, id) => void pinned.add(id),
    remove: async (_room, id) => pinned.delete(id),
  };
  return { p, pinned };
}

const cmd = (type: PinCommand['type'], over: Partial<PinCommand> = {}): PinCommand => ({
  type,
  correlationId: 'c',
  roomId: ROOM,
  messageId: MSG,
  actorId: A,
  requestedAt: new Date().toISOString(),
  ...over,
});

describe('ApplyPinUseCase', () => {
  it('pins, then unpins, telling the members each time', async () => {
    const { p, pinned } = port();
    const uc = new ApplyPinUseCase(p);
    expect(await uc.execute(cmd('message.pin.v1'))).toMatchObject({ outcome: 'applied', change: 'pinned', members: [A, B] });
    expect([...pinned]).toEqual([MSG]);
    expect(await uc.execute(cmd('message.unpin.v1', { actorId: B }))).toMatchObject({ outcome: 'applied', change: 'unpinned' });
    expect(pinned.size).toBe(0);
  });

  it('refuses a pin that a delete before it in the room’s order made impossible, and one past the limit', async () => {
    expect(await new ApplyPinUseCase(port({ deleted: true }).p).execute(cmd('message.pin.v1'))).toMatchObject({
      outcome: 'refused',
      members: [],
      error: { code: 'CONFLICT' },
    });
    const full = port({ pinned: ['e'.repeat(24), 'f'.repeat(24)] });
    expect(await new ApplyPinUseCase(full.p, 2).execute(cmd('message.pin.v1'))).toMatchObject({
      outcome: 'refused',
      error: { code: 'LIMIT_REACHED' },
    });
    expect(full.pinned.size).toBe(2);
  });
});
