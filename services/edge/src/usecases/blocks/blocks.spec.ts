import type { BlockCommand } from '@chat/contracts';
import { BlocksUseCase, type BlockWrites } from './blocks.usecase';

const [A, B, ROOM] = ['a', 'b', 'c'].map((x) => x.repeat(24));

function setup(room: string | null, limit = 10) {
  const steps: string[] = [];
  const stored = new Set<string>();
  const store: BlockWrites = {
    block: async (x, y) => void (steps.push('store'), stored.add(`${x}:${y}`)),
    unblock: async (x, y) => (steps.push('delete'), stored.delete(`${x}:${y}`)),
    blockedBy: async (x) => new Set([...stored].filter((k) => k.startsWith(`${x}:`)).map((k) => k.slice(25))),
    list: async () => [],
  };
  const published: BlockCommand[] = [];
  const uc = new BlocksUseCase(
    store,
    { pairRoomId: async () => (steps.push('room'), room) },
    {
      route: (base, id) => `${base}.${id}`,
      publishConfirmed: async (_key, payload) => void (steps.push('publish'), published.push(payload as BlockCommand)),
    },
    { forget: (u) => void steps.push(`forget ${u === A ? 'A' : u}`) },
    limit,
  );
  return { uc, steps, published };
}

describe('BlocksUseCase', () => {
  it('stores the block, forgets the cached view, then tells the pair’s room, in that order', async () => {
    const s = setup(ROOM);
    expect(await s.uc.block({ userId: A, targetId: B })).toEqual({ userId: B, blocked: true });
    expect(s.steps).toEqual(['store', 'forget A', 'room', 'publish']);
    expect(s.published[0]).toMatchObject({ type: 'user.block.v1', roomId: ROOM, blockerId: A, blockedId: B, on: true });
    await s.uc.unblock({ userId: A, targetId: B });
    expect(s.published[1]).toMatchObject({ roomId: ROOM, on: false });
  });

  it('publishes nothing for a pair without a room (its worker will read the stored block)', async () => {
    const s = setup(null);
    await s.uc.block({ userId: A, targetId: B });
    expect(s.steps).toEqual(['store', 'forget A', 'room']);
  });

  it('refuses blocking oneself and a new block past the limit, storing nothing', async () => {
    await expect(setup(ROOM).uc.block({ userId: A, targetId: A })).rejects.toMatchObject({ code: 'VALIDATION_FAILED' });
    const s = setup(ROOM, 1);
    await s.uc.block({ userId: A, targetId: B });
    await expect(s.uc.block({ userId: A, targetId: ROOM })).rejects.toMatchObject({ code: 'LIMIT_REACHED' });
    // blocking the one already blocked again is a repeat, not a new block
    expect(await s.uc.block({ userId: A, targetId: B })).toEqual({ userId: B, blocked: true });
  });
});
