import { Types } from 'mongoose';
import type { ConversationDoc } from '@chat/store';
import { RoomMembers } from './room-members';

const A = 'a'.repeat(24);
const B = 'b'.repeat(24);
const C = 'c'.repeat(24);
const DIRECT = '1'.repeat(24);
const GROUP = '2'.repeat(24);

describe('RoomMembers', () => {
  let rooms: Map<string, Pick<ConversationDoc, 'participants' | 'kind'>>;
  let reads: number;
  let members: RoomMembers;
  beforeEach(() => {
    jest.useFakeTimers();
    rooms = new Map([
      [DIRECT, { kind: 'direct', participants: [A, B] }],
      [GROUP, { kind: 'group', participants: [A, B] }],
    ]);
    reads = 0;
    const get = async (id: string) => {
      reads++;
      const r = rooms.get(id);
      return r ? ({ _id: new Types.ObjectId(id), ...r } as ConversationDoc) : null;
    };
    members = new RoomMembers({ get }, { groupTtlMs: 5000 });
  });
  afterEach(() => jest.useRealTimers());

  it('reads a room once, answers members and refuses others from the cache', async () => {
    expect(await members.membersIfIn(DIRECT, A)).toEqual([A, B]);
    expect(await members.membersIfIn(DIRECT, B)).toEqual([A, B]);
    expect(await members.membersIfIn(DIRECT, C)).toBeNull();
    jest.advanceTimersByTime(3_600_000);
    expect(await members.membersIfIn(DIRECT, A)).toEqual([A, B]);
    expect(reads).toBe(1);
  });

  it('reads a group again after its TTL, so a change of members shows within it', async () => {
    expect(await members.membersIfIn(GROUP, C)).toBeNull();
    rooms.set(GROUP, { kind: 'group', participants: [A, B, C] });
    jest.advanceTimersByTime(4999);
    expect(await members.membersIfIn(GROUP, C)).toBeNull();
    jest.advanceTimersByTime(1);
    expect(await members.membersIfIn(GROUP, C)).toEqual([A, B, C]);
    expect(reads).toBe(2);
  });

  it('counts only store reads (beforeRead), and remembers an unknown room for a while', async () => {
    const unknown = '3'.repeat(24);
    const counted = jest.fn(async () => undefined);
    expect(await members.membersIfIn(unknown, A, counted)).toBeNull();
    expect(await members.membersIfIn(unknown, A, counted)).toBeNull();
    expect(counted).toHaveBeenCalledTimes(1);
    jest.advanceTimersByTime(2000);
    expect(await members.membersIfIn(unknown, A, counted)).toBeNull();
    expect(counted).toHaveBeenCalledTimes(2);
    // a refused count (rate limited) refuses without reading
    const refused = async () => {
      throw new Error('RATE_LIMITED');
    };
    await expect(members.membersIfIn('4'.repeat(24), A, refused)).rejects.toThrow('RATE_LIMITED');
    expect(reads).toBe(2);
  });
});
