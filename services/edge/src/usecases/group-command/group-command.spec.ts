import { buildTopology } from '@chat/broker';
import type { AppError, GroupCommand, GroupOp } from '@chat/contracts';
import type { ConversationDoc, InviteDoc } from '@chat/store';
import type { CommandBus } from '../ports';
import { SenderLanes } from '../sender-lanes';
import { GroupCommandUseCase } from './group-command.usecase';

const [A, B, C, D] = ['a', 'b', 'c', 'd'].map((x) => x.repeat(24));
const G = '0'.repeat(24);
const INVITE = '1'.repeat(24);

/** A stored group G of A (admin), B and C, an invite of D to it, and the commands the edge published. */
function setup(invite: Partial<InviteDoc> = {}, memberLimit = 10) {
  const published: GroupCommand[] = [];
  const group = { _id: G, kind: 'group', name: 'team', participants: [A, B, C], admins: [A] } as unknown as ConversationDoc;
  const stored = { _id: INVITE, groupId: G, inviterId: A, inviteeId: D, status: 'pending', ...invite } as unknown as InviteDoc;
  const bus: CommandBus = {
    publishConfirmed: async (_key, payload) => void published.push(payload as GroupCommand),
    route: buildTopology('t').route,
  };
  const uc = new GroupCommandUseCase(
    { get: async (id) => (id === G ? group : null), getInvite: async (id) => (id === INVITE ? stored : null) },
    bus,
    new SenderLanes(),
    memberLimit,
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
});
