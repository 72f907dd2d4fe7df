import { judgePin, type PinRoom } from './pin-rules';

const [A, B, C, ROOM, OTHER] = ['a', 'b', 'c', 'd', 'e'].map((x) => x.repeat(24));
const direct: PinRoom = { kind: 'direct', participants: [A, B], admins: [] };
const group: PinRoom = { kind: 'group', participants: [A, B, C], admins: [A] };
const msg = { roomId: ROOM, deletedAt: null };
const none = { pinned: false, count: 0 };

describe('judgePin', () => {
  it('lets both participants of a one-to-one room pin and unpin', () => {
    for (const who of [A, B]) {
      expect(judgePin(direct, who, 'pin', ROOM, msg, none, 50)).toEqual({ ok: true, changes: true });
      expect(judgePin(direct, who, 'unpin', ROOM, null, { pinned: true, count: 1 }, 50)).toEqual({ ok: true, changes: true });
    }
  });

  it('lets only admins pin or unpin in a group', () => {
    expect(judgePin(group, A, 'pin', ROOM, msg, none, 50).ok).toBe(true);
    expect(judgePin(group, B, 'pin', ROOM, msg, none, 50)).toMatchObject({ ok: false, code: 'FORBIDDEN' });
    expect(judgePin(group, B, 'unpin', ROOM, msg, { pinned: true, count: 1 }, 50)).toMatchObject({ ok: false, code: 'FORBIDDEN' });
  });

  it('answers an outsider as if the room did not exist', () => {
    expect(judgePin(direct, C, 'pin', ROOM, msg, none, 50)).toMatchObject({ ok: false, code: 'NOT_FOUND' });
    expect(judgePin(null, A, 'pin', ROOM, msg, none, 50)).toMatchObject({ ok: false, code: 'NOT_FOUND' });
  });

  it('pins only a message of this room that is not deleted', () => {
    expect(judgePin(direct, A, 'pin', ROOM, null, none, 50)).toMatchObject({ ok: false, code: 'NOT_FOUND' });
    expect(judgePin(direct, A, 'pin', ROOM, { roomId: OTHER }, none, 50)).toMatchObject({ ok: false, code: 'NOT_FOUND' });
    expect(judgePin(direct, A, 'pin', ROOM, { roomId: ROOM, deletedAt: new Date() }, none, 50)).toMatchObject({
      ok: false,
      code: 'CONFLICT',
    });
  });

  it('refuses the pin past the limit, but not a repeat of one already pinned', () => {
    expect(judgePin(direct, A, 'pin', ROOM, msg, { pinned: false, count: 50 }, 50)).toMatchObject({ ok: false, code: 'LIMIT_REACHED' });
    expect(judgePin(direct, A, 'pin', ROOM, msg, { pinned: false, count: 49 }, 50)).toEqual({ ok: true, changes: true });
    expect(judgePin(direct, A, 'pin', ROOM, msg, { pinned: true, count: 50 }, 50)).toEqual({ ok: true, changes: false });
  });

  it('accepts unpinning what is not pinned, changing nothing', () => {
    expect(judgePin(direct, A, 'unpin', ROOM, msg, none, 50)).toEqual({ ok: true, changes: false });
  });
});
