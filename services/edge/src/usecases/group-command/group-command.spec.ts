import { buildTopology } from '@chat/broker';
import type { AppError, GroupCommand, GroupOp } from '@chat/contracts';
import { UNKNOWN_JOINER, type Joiner } from '@chat/domain';
import type { ConversationDoc, InviteDoc } from '@chat/store';
import type { CommandBus } from '../ports';
import { SenderLanes } from '../sender-lanes';
import { GroupCommandUseCase } from './group-command.usecase';

const [A, B, C, D] = ['a', 'b', 'c', 'd'].map((x) => x.repeat(24));
const G = '0'.repeat(24);
const INVITE = '1'.repeat(24);

/** A stored group G of A (admin), B and C, an invite of D to it, and the commands the edge published. */
function setup(invite: Partial<InviteDoc> = {}, memberLimit = 10, people: Record<string, Partial<Joiner>> = {}) {
  const published: GroupCommand[] = [];
  const group = { _id: G, kind: 'group', name: 'team', participants: [A, B, C], admins: [A] } as unknown as ConversationDoc;
  const stored = { _id: INVITE, groupId: G, inviterId: A, inviteeId: D, status: 'pending', ...invite } as unknown as InviteDoc;
  const bus: CommandBus = {
    publishConfirmed: async (_key, payload) => void published.push(payload as GroupCommand),
    route: buildTopology('t').route,
  };
  const uc = new GroupCommandUseCase(
    {
      get: async (id) => (id === G ? group : null),
      getInvite: async (id) => (id === INVITE ? stored : null),
      joiners: async (actor, listed) => new Map([actor, ...listed].map((u) => [u, { ...UNKNOWN_JOINER, ...people[u] }])),
    },
    bus,
    new SenderLanes(),
    { members: memberLimit, groupsPerUser: 3 },
  );
  const run = (userId: string, op: GroupOp, groupId: string | undefined = G) => uc.execute({ userId, groupId, op });
  const refusal = (p: Promise<unknown>) =>
    p.then(
      () => 'accepted',
      (e: AppError) => e.code,
    );
  return { published, run, refusal };
}

describe('GroupCommandUseCase (the edge judges with the rules the worker applies)', () => {
  it('accepts an admin removing someone who is not a member, as the worker does (a change of nothing)', async () => {
    const s = setup();
    await expect(s.run(A, { op: 'remove', userId: D })).resolves.toMatchObject({ groupId: G, op: 'remove', status: 'accepted' });
    expect(s.published).toEqual([expect.objectContaining({ type: 'group.command.v1', groupId: G, actorId: A, op: 'remove', userId: D })]);
  });

  it('refuses at once what the rules refuse, publishing nothing', async () => {
    const s = setup();
    expect(await s.refusal(s.run(D, { op: 'rename', name: 'x' }))).toBe('NOT_FOUND'); // an outsider: no such group
    expect(await s.refusal(s.run(B, { op: 'rename', name: 'x' }))).toBe('FORBIDDEN');
    expect(await s.refusal(s.run(A, { op: 'rename', name: '  ' }))).toBe('VALIDATION_FAILED');
    expect(await s.refusal(s.run(A, { op: 'remove', userId: A }))).toBe('VALIDATION_FAILED');
    expect(await s.refusal(s.run(A, { op: 'promote', userId: D }))).toBe('NOT_FOUND');
    expect(await s.refusal(s.run(A, { op: 'invite', inviteId: '', userId: B }))).toBe('CONFLICT');
    expect(
      await s.refusal(s.run(A, { op: 'create', name: 'big', memberIds: [B, C, D, ...'23456789'.split('').map((x) => x.repeat(24))] })),
    ).toBe('CONFLICT');
    expect(await s.refusal(s.run(C, { op: 'respond', inviteId: INVITE, accept: true }, undefined))).toBe('NOT_FOUND');
    expect(s.published).toEqual([]);
  });

  it('answers an invite once: a different answer later is refused', async () => {
    const declined = setup({ status: 'declined' });
    expect(await declined.refusal(declined.run(D, { op: 'respond', inviteId: INVITE, accept: true }, undefined))).toBe('CONFLICT');
    // accepted here even when the group is full: the worker judges the limit against the group as it is then
    const pending = setup({}, 3);
    await expect(pending.run(D, { op: 'respond', inviteId: INVITE, accept: true }, undefined)).resolves.toMatchObject({
      groupId: G,
      status: 'accepted',
    });
  });

  it('adds at once the listed users whose setting lets the actor, invites the others, and says which', async () => {
    const s = setup({}, 10, { [B]: { contact: true }, [C]: { groupAdds: 'everyone' } });
    await expect(s.run(A, { op: 'create', name: 'new', memberIds: [B, C, D] })).resolves.toMatchObject({ added: [B, C], invited: [D] });
    await expect(s.run(A, { op: 'add', userIds: [D] })).resolves.toMatchObject({ added: [], invited: [D] });
    // each listed user gets an invite id, for the worker to use if it judges that user invited
    expect(s.published.map((c) => (c.op === 'create' || c.op === 'add' ? c.inviteIds?.length : 0))).toEqual([3, 1]);
  });

  it('refuses with LIMIT_REACHED creating, adding or accepting beyond the groups one user may be in', async () => {
    const s = setup({}, 10, { [A]: { groups: 3 }, [D]: { groupAdds: 'everyone', groups: 3 } });
    expect(await s.refusal(s.run(A, { op: 'create', name: 'one more', memberIds: [] }))).toBe('LIMIT_REACHED');
    expect(await s.refusal(s.run(A, { op: 'add', userIds: [D] }))).toBe('LIMIT_REACHED');
    expect(await s.refusal(s.run(D, { op: 'respond', inviteId: INVITE, accept: true }, undefined))).toBe('LIMIT_REACHED');
    await expect(s.run(D, { op: 'respond', inviteId: INVITE, accept: false }, undefined)).resolves.toMatchObject({ status: 'accepted' });
    expect(s.published.map((c) => c.op)).toEqual(['respond']);
  });
});
