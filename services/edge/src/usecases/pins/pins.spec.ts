import type { ConversationDoc, MessageDoc, PinDoc, RoomScope } from '@chat/store';
import type { CommandBus } from '../ports';
import { SenderLanes } from '../sender-lanes';
import { PinsUseCase } from './pins.usecase';

const [A, B, C, ROOM, MSG, PENDING] = ['a', 'b', 'c', 'd', 'e', 'f'].map((x) => x.repeat(24));

function setup(o: { kind?: 'direct' | 'group'; admins?: string[]; count?: number; stored?: boolean } = {}) {
  const published: Array<{ key: string; cmd: { type: string; messageId: string } }> = [];
  const room = { _id: ROOM, kind: o.kind ?? 'direct', participants: [A, B], admins: o.admins ?? [] } as unknown as ConversationDoc;
  const scopeFor = async (_r: string, u: string) =>
    room.participants.includes(u) ? ({ roomId: ROOM, userId: u, fromSeq: 0 } as RoomScope) : null;
  const bus: CommandBus = {
    publishConfirmed: async (key, cmd) => void published.push({ key, cmd: cmd as { type: string; messageId: string } }),
    route: (base, id) => `${base}.${id}`,
  };
  const uc = new PinsUseCase(
    { get: async () => room, scopeFor },
    {
      findByIds: async (ids) =>
        o.stored === false ? [] : ids.filter((i) => i === MSG).map((i) => ({ _id: i, roomId: ROOM, seq: 3 }) as unknown as MessageDoc),
    },
    { list: async () => [] as PinDoc[], state: async () => ({ pinned: false, count: o.count ?? 0 }) },
    { forRoom: async () => new Map() },
    { get: async (id) => (id === PENDING ? ({ id, roomId: ROOM } as never) : null) },
    bus,
    new SenderLanes(),
  );
  return { uc, published };
}

const pin = (userId: string, messageId = MSG) => ({ userId, roomId: ROOM, messageId, op: 'pin' as const });

describe('PinsUseCase', () => {
  it('sends an accepted pin through the room’s queue', async () => {
    const { uc, published } = setup();
    expect(await uc.execute(pin(B))).toEqual({ roomId: ROOM, messageId: MSG, op: 'pin', status: 'accepted' });
    expect(published).toEqual([
      { key: `message.pin.v1.${ROOM}`, cmd: expect.objectContaining({ type: 'message.pin.v1', messageId: MSG }) },
    ]);
  });

  it('refuses at once what the rule refuses, publishing nothing', async () => {
    const cases: Array<[ReturnType<typeof setup>, ReturnType<typeof pin>, string]> = [
      [setup(), pin(C), 'NOT_FOUND'],
      [setup({ kind: 'group', admins: [A] }), pin(B), 'FORBIDDEN'],
      [setup({ count: 50 }), pin(A), 'LIMIT_REACHED'],
      [setup(), pin(A, 'ab'.repeat(12)), 'NOT_FOUND'],
    ];
    for (const [{ uc, published }, req, code] of cases) {
      await expect(uc.execute(req)).rejects.toMatchObject({ code });
      expect(published).toEqual([]);
    }
  });

  it('accepts a pin of a message still on its way to the store (the worker judges it after the message)', async () => {
    const { uc, published } = setup({ stored: false });
    await expect(uc.execute(pin(A, PENDING))).resolves.toMatchObject({ status: 'accepted' });
    expect(published).toHaveLength(1);
  });
});
