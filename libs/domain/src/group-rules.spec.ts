import type { GroupCommand } from '@chat/contracts';
import { decideGroupCommand, judgeInviteAnswer } from './group-rules';

const id = (n: number) => n.toString(16).padStart(24, '0');
const [A, B, C, D, E] = [1, 2, 3, 4, 5].map(id);
const G = id(99);
const cmd = (actorId: string, op: Record<string, unknown>): GroupCommand =>
  ({ type: 'group.command.v1', correlationId: 'x', groupId: G, actorId, requestedAt: new Date().toISOString(), ...op }) as GroupCommand;
const state = { name: 'g', participants: [A, B, C], admins: [A] };
const lim = (members: number, groupsPerUser = 100) => ({ members, groupsPerUser });
/** Users who let anyone add them, each in `groups` groups. */
const open = (users: string[], groups = 0) => ({
  joiners: new Map(users.map((u) => [u, { groupAdds: 'everyone' as const, contact: false, groups }])),
});

describe('group rules', () => {
  it('creates with the creator as the only admin, de-duplicating members, within the limit', () => {
    const d = decideGroupCommand(null, cmd(A, { op: 'create', name: 'g', memberIds: [B, A, B] }), lim(10), open([B]));
    expect(d).toMatchObject({ ok: true, next: { participants: [A, B], admins: [A] } });
    expect(decideGroupCommand(null, cmd(A, { op: 'create', name: 'g', memberIds: [B, C] }), lim(2))).toMatchObject({
      ok: false,
      code: 'CONFLICT',
    });
  });

  it.each([
    ['rename', { op: 'rename', name: 'x' }],
    ['add', { op: 'add', userIds: [D] }],
    ['remove', { op: 'remove', userId: C }],
    ['promote', { op: 'promote', userId: C }],
    ['invite', { op: 'invite', inviteId: id(7), userId: D }],
  ])('lets only admins %s', (_n, op) => {
    expect(decideGroupCommand(state, cmd(B, op), lim(10))).toMatchObject({ ok: false, code: 'FORBIDDEN' });
    expect(decideGroupCommand(state, cmd(D, op), lim(10))).toMatchObject({ ok: false, code: 'FORBIDDEN' });
    expect(decideGroupCommand(state, cmd(A, op), lim(10), open([D]))).toMatchObject({ ok: true });
  });

  it('keeps to the member limit when adding and accepting', () => {
    expect(decideGroupCommand(state, cmd(A, { op: 'add', userIds: [D] }), lim(3))).toMatchObject({ ok: false, code: 'CONFLICT' });
    const invite = { groupId: G, inviteeId: D, status: 'pending' as const };
    expect(decideGroupCommand(state, cmd(D, { op: 'respond', inviteId: id(7), accept: true }), lim(3), { invite: invite })).toMatchObject({
      ok: false,
      code: 'CONFLICT',
    });
    expect(decideGroupCommand(state, cmd(D, { op: 'respond', inviteId: id(7), accept: true }), lim(4), { invite: invite })).toMatchObject({
      ok: true,
      next: { participants: [A, B, C, D] },
    });
  });

  it('adds at once only who lets the actor (a contact by default), invites the others', () => {
    const joiners = new Map([
      [B, { groupAdds: 'contacts' as const, contact: true, groups: 0 }],
      [C, { groupAdds: 'contacts' as const, contact: false, groups: 0 }],
      [D, { groupAdds: 'nobody' as const, contact: true, groups: 0 }],
    ]);
    const created = decideGroupCommand(null, cmd(A, { op: 'create', name: 'g', memberIds: [B, C, D, E] }), lim(10), { joiners });
    expect(created).toEqual({ ok: true, next: { name: 'g', participants: [A, B], admins: [A] }, affected: [A, B], invited: [C, D, E] });
    const added = decideGroupCommand({ ...state, participants: [A] }, cmd(A, { op: 'add', userIds: [C, B, E] }), lim(10), { joiners });
    expect(added).toEqual({ ok: true, next: { ...state, participants: [A, B] }, affected: [B], invited: [C, E] });
    // nobody added: the group is left as it is
    const none = decideGroupCommand(state, cmd(A, { op: 'add', userIds: [D] }), lim(10), { joiners });
    expect(none).toEqual({ ok: true, next: state, affected: [], invited: [D] });
    expect(decideGroupCommand(state, cmd(A, { op: 'add', userIds: [D, E] }), lim(4), { joiners })).toMatchObject({ code: 'CONFLICT' });
  });

  it('refuses a create, add or invite naming a user who blocks the actor, whoever would only be invited', () => {
    const blockers = new Set([C]);
    const joiners = new Map([[C, { groupAdds: 'nobody' as const, contact: false, groups: 0 }]]);
    for (const op of [
      { op: 'create', name: 'g', memberIds: [B, C] },
      { op: 'add', userIds: [C] },
      { op: 'invite', inviteId: id(7), userId: C },
    ]) {
      const on = op.op === 'create' ? null : { ...state, participants: [A, B] };
      expect(decideGroupCommand(on, cmd(A, op), lim(10), { joiners, blockers })).toMatchObject({ ok: false, code: 'BLOCKED' });
      // the same command from someone the user does not block
      expect(decideGroupCommand(on, cmd(A, op), lim(10), { joiners }).ok).toBe(true);
    }
    // a member already in changes nothing, so its block refuses nothing
    expect(decideGroupCommand(state, cmd(A, { op: 'add', userIds: [C] }), lim(10), { blockers })).toMatchObject({ ok: true });
  });

  it('refuses creating, adding or accepting beyond the groups one user may be in', () => {
    const limit = lim(10, 3);
    expect(decideGroupCommand(null, cmd(A, { op: 'create', name: 'g', memberIds: [] }), limit, open([A], 3))).toMatchObject({
      code: 'LIMIT_REACHED',
      message: 'you are in 3 groups already, the most one user may be in',
    });
    expect(decideGroupCommand(null, cmd(A, { op: 'create', name: 'g', memberIds: [B] }), limit, open([A, B], 2))).toMatchObject({
      ok: true,
    });
    expect(decideGroupCommand(null, cmd(A, { op: 'create', name: 'g', memberIds: [B] }), limit, open([B], 3))).toMatchObject({
      code: 'LIMIT_REACHED',
    });
    expect(decideGroupCommand(state, cmd(A, { op: 'add', userIds: [D] }), limit, open([D], 3))).toMatchObject({ code: 'LIMIT_REACHED' });
    // an invite of a user at the cap is fine: accepting it is refused until the user leaves a group
    const atCap = new Map([[D, { groupAdds: 'contacts' as const, contact: false, groups: 3 }]]);
    expect(decideGroupCommand(state, cmd(A, { op: 'add', userIds: [D] }), limit, { joiners: atCap })).toMatchObject({
      ok: true,
      invited: [D],
    });
    const invite = { groupId: G, inviteeId: D, status: 'pending' as const };
    const accept = cmd(D, { op: 'respond', inviteId: id(7), accept: true });
    expect(decideGroupCommand(state, accept, limit, { invite, joiners: atCap })).toMatchObject({ code: 'LIMIT_REACHED' });
    expect(decideGroupCommand(state, accept, limit, { invite, ...open([D], 2) })).toMatchObject({ ok: true, invite: 'accepted' });
  });

  it('hands admin to the oldest member when the last admin leaves', () => {
    expect(decideGroupCommand(state, cmd(A, { op: 'leave' }), lim(10))).toMatchObject({
      ok: true,
      next: { participants: [B, C], admins: [B] },
    });
    const two = { ...state, admins: [A, C] };
    expect(decideGroupCommand(two, cmd(A, { op: 'leave' }), lim(10))).toMatchObject({ ok: true, next: { admins: [C] } });
  });

  it('lets only the invitee answer a pending invite, once', () => {
    const invite = { groupId: G, inviteeId: D, status: 'pending' as const };
    expect(decideGroupCommand(state, cmd(B, { op: 'respond', inviteId: id(7), accept: true }), lim(10), { invite: invite })).toMatchObject({
      ok: false,
      code: 'NOT_FOUND',
    });
    expect(decideGroupCommand(state, cmd(D, { op: 'respond', inviteId: id(7), accept: false }), lim(10), { invite: invite })).toMatchObject(
      {
        ok: true,
        invite: 'declined',
      },
    );
    const declined = { ...invite, status: 'declined' as const };
    expect(
      decideGroupCommand(state, cmd(D, { op: 'respond', inviteId: id(7), accept: true }), lim(10), { invite: declined }),
    ).toMatchObject({
      ok: false,
      code: 'CONFLICT',
    });
  });

  it('treats repeats as no-ops', () => {
    expect(decideGroupCommand(state, cmd(A, { op: 'remove', userId: D }), lim(10))).toMatchObject({ ok: true, affected: [] });
    expect(decideGroupCommand(state, cmd(A, { op: 'promote', userId: A }), lim(10))).toMatchObject({ ok: true, affected: [] });
    expect(decideGroupCommand(state, cmd(A, { op: 'create', name: 'g', memberIds: [] }), lim(10))).toMatchObject({ ok: true, next: state });
    expect(decideGroupCommand(state, cmd(D, { op: 'leave' }), lim(10))).toMatchObject({ ok: true, affected: [] });
  });

  it('refuses a blank name when creating or renaming', () => {
    expect(decideGroupCommand(null, cmd(A, { op: 'create', name: ' ', memberIds: [B] }), lim(10))).toMatchObject({
      ok: false,
      code: 'VALIDATION_FAILED',
    });
    expect(decideGroupCommand(state, cmd(A, { op: 'rename', name: '\t' }), lim(10))).toMatchObject({
      ok: false,
      code: 'VALIDATION_FAILED',
    });
  });

  it('accepts removing someone who is not a member, changing nothing; removing oneself is refused (use leave)', () => {
    expect(decideGroupCommand(state, cmd(A, { op: 'remove', userId: D }), lim(10))).toEqual({ ok: true, next: state, affected: [] });
    expect(decideGroupCommand(state, cmd(A, { op: 'remove', userId: A }), lim(10))).toMatchObject({ ok: false, code: 'VALIDATION_FAILED' });
    expect(decideGroupCommand(state, cmd(A, { op: 'promote', userId: D }), lim(10))).toMatchObject({ ok: false, code: 'NOT_FOUND' });
  });

  it('refuses an answer to an invite that is not there, or not the actor’s, before looking at the group', () => {
    expect(decideGroupCommand(null, cmd(D, { op: 'respond', inviteId: id(7), accept: true }), lim(10), { invite: null })).toMatchObject({
      ok: false,
      code: 'NOT_FOUND',
      message: 'invite not found',
    });
    const other = { groupId: id(98), inviteeId: D, status: 'pending' as const };
    expect(decideGroupCommand(state, cmd(D, { op: 'respond', inviteId: id(7), accept: true }), lim(10), { invite: other })).toMatchObject({
      ok: false,
      code: 'NOT_FOUND',
    });
  });

  it('judges an answer on the invite alone: the invitee, once; the same answer again is a repeat', () => {
    const respond = (actorId: string, accept: boolean) =>
      cmd(actorId, { op: 'respond', inviteId: id(7), accept }) as Extract<GroupCommand, { op: 'respond' }>;
    const pending = { groupId: G, inviteeId: D, status: 'pending' as const };
    expect(judgeInviteAnswer(pending, respond(D, true))).toEqual({ ok: true, pending: true });
    expect(judgeInviteAnswer(pending, respond(B, true))).toMatchObject({ ok: false, code: 'NOT_FOUND' });
    const accepted = { ...pending, status: 'accepted' as const };
    expect(judgeInviteAnswer(accepted, respond(D, true))).toEqual({ ok: true, pending: false });
    expect(judgeInviteAnswer(accepted, respond(D, false))).toMatchObject({
      ok: false,
      code: 'CONFLICT',
      message: 'the invite was already accepted',
    });
  });
});
