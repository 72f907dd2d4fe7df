import type { RoomScope } from '@chat/store';
import { RoomSettingsUseCase } from './room-settings.usecase';

const [A, ROOM] = ['a', 'd'].map((x) => x.repeat(24));
const NOW = new Date('2030-01-01T00:00:00Z');

function setup(member = true) {
  const writes: unknown[] = [];
  const uc = new RoomSettingsUseCase(
    { scopeFor: async () => (member ? ({ roomId: ROOM, userId: A } as RoomScope) : null) },
    { setMute: async (...a) => (writes.push(a), member) },
    () => NOW,
  );
  return { uc, writes };
}

describe('RoomSettingsUseCase', () => {
  it('stores the member’s mute and answers it', async () => {
    const { uc, writes } = setup();
    const until = new Date(NOW.getTime() + 60_000).toISOString();
    expect(await uc.update(A, ROOM, { muted: true, until })).toEqual({ roomId: ROOM, muted: true, mutedUntil: until });
    expect(writes).toEqual([[ROOM, A, { muted: true, mutedUntil: new Date(until) }]]);
  });

  it('refuses an until in the past before anything else, and a room the user is not in', async () => {
    const { uc, writes } = setup();
    await expect(uc.update(A, ROOM, { muted: true, until: NOW.toISOString() })).rejects.toMatchObject({ code: 'VALIDATION_FAILED' });
    expect(writes).toEqual([]);
    await expect(setup(false).uc.update(A, ROOM, { muted: true })).rejects.toMatchObject({ code: 'NOT_FOUND' });
  });
});
