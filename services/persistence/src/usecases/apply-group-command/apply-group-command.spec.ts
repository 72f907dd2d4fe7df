import type { GroupCommand } from '@chat/contracts';
import { UNKNOWN_JOINER, type GroupState, type Joiner } from '@chat/domain';
import type { ConversationDoc } from '@chat/store';
import { ApplyGroupCommandUseCase, inviteIdFor, type GroupPort } from './apply-group-command.usecase';

const [A, B, C] = ['a', 'b', 'c'].map((x) => x.repeat(24));
const G = '0'.repeat(24);
const [IB, IC] = ['1', '2'].map((x) => x.repeat(24));

/** An in-memory group store; `people` are the listed users' facts as the worker reads them. */
function setup(people: Record<string, Partial<Joiner>>, blockers: string[] = []) {
  let stored: ConversationDoc | null = null;
  const invites: Array<{ id: string; inviteeId: string }> = [];
  const port: GroupPort = {
    get: async () => stored,
    create: async (id, creator, state: GroupState) => {
      stored = { _id: id, kind: 'group', ...state, createdBy: creator, lastSeq: 0 } as unknown as ConversationDoc;
      return stored;
    },
    save: async () => undefined,
    getInvite: async () => null,
    createInvite: async (i) => void invites.push({ id: i.id, inviteeId: i.inviteeId }),
    answerInvite: async () => undefined,
    joiners: async (actor, listed) => new Map([actor, ...listed].map((u) => [u, { ...UNKNOWN_JOINER, ...people[u] }])),
    blockersAmong: async (_actor, users) => new Set(users.filter((u) => blockers.includes(u))),
  };
  return { uc: new ApplyGroupCommandUseCase(port, { members: 10, groupsPerUser: 10 }), invites };
}

const create = (inviteIds?: string[]): GroupCommand => ({
  type: 'group.command.v1',
  correlationId: 'corr',
  groupId: G,
  actorId: A,
  requestedAt: new Date(0).toISOString(),
  op: 'create',
  name: 'g',
  memberIds: [B, C],
  ...(inviteIds ? { inviteIds } : {}),
});

describe('ApplyGroupCommandUseCase (the worker judges consent as the users are now)', () => {
  it('adds whom the setting lets it, invites the others under the ids the edge chose, again the same on a redelivery', async () => {
    const s = setup({ [B]: { contact: true } });
    const first = await s.uc.execute(create([IB, IC]));
    expect(first).toMatchObject({ outcome: 'applied', affected: [A, B], invited: [{ userId: C, inviteId: IC }] });
    expect(first.group?.members).toEqual([A, B]);
    const again = await s.uc.execute(create([IB, IC]));
    expect(again).toMatchObject({ outcome: 'applied', affected: [], invited: [{ userId: C, inviteId: IC }] });
    expect(s.invites).toEqual([
      { id: IC, inviteeId: C },
      { id: IC, inviteeId: C },
    ]);
  });

  it('refuses a create naming a user who blocks the actor now, writing nothing', async () => {
    const s = setup({ [B]: { contact: true } }, [C]);
    expect(await s.uc.execute(create([IB, IC]))).toMatchObject({ outcome: 'refused', error: { code: 'BLOCKED' }, group: null });
    expect(s.invites).toEqual([]);
  });

  it('derives an invite id from the command when the edge named none (the same on every delivery)', () => {
    const cmd = create() as Extract<GroupCommand, { op: 'create' }>;
    expect(inviteIdFor(cmd, C)).toMatch(/^[0-9a-f]{24}$/);
    expect(inviteIdFor(cmd, C)).toBe(inviteIdFor(cmd, C));
    expect(inviteIdFor(cmd, C)).not.toBe(inviteIdFor(cmd, B));
    expect(inviteIdFor(create([IB, IC]) as typeof cmd, B)).toBe(IB);
  });
});
