import type { GroupCommand } from '@chat/contracts';
import { decideGroupCommand, judgeInviteAnswer } from './group-rules';

const id = (n: number) => n.toString(16).padStart(24, '0');
const [A, B, C, D] = [1, 2, 3, 4].map(id);
const G = id(99);
const cmd = (actorId: string, op: Record<string, unknown>): GroupCommand =>
  ({ type: 'group.command.v1', correlationId: 'x', groupId: G, actorId, requestedAt: new Date().toISOString(), ...op }) as GroupCommand;
const state = { name: 'g', participants: [A, B, C], admins: [A] };

describe('group rules', () => {
  it('creates with the creator as the only admin, de-duplicating members, within the limit', () => {
    const d = decideGroupCommand(null, cmd(A, { op: 'create', name: 'g', memberIds: [B, A, B] }), 10);
    expect(d).toMatchObject({ ok: true, next: { participants: [A, B], admins: [A] } });
    expect(decideGroupCommand(null, cmd(A, { op: 'create', name: 'g', memberIds: [B, C] }), 2)).toMatchObject({
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
    expect(decideGroupCommand(state, cmd(B, op), 10)).toMatchObject({ ok: false, code: 'FORBIDDEN' });
    expect(decideGroupCommand(state, cmd(D, op), 10)).toMatchObject({ ok: false, code: 'FORBIDDEN' });
    expect(decideGroupCommand(state, cmd(A, op), 10)).toMatchObject({ ok: true });
  });

  it('keeps to the member limit when adding and accepting', () => {
    expect(decideGroupCommand(state, cmd(A, { op: 'add', userIds: [D] }), 3)).toMatchObject({ ok: false, code: 'CONFLICT' });
    const invite = { groupId: G, inviteeId: D, status: 'pending' as const };
    expect(decideGroupCommand(state, cmd(D, { op: 'respond', inviteId: id(7), accept: true }), 3, invite)).toMatchObject({
      ok: false,
      code: 'CONFLICT',
    });
    expect(decideGroupCommand(state, cmd(D, { op: 'respond', inviteId: id(7), accept: true }), 4, invite)).toMatchObject({
      ok: true,
      next: { participants: [A, B, C, D] },
    });
  });

  it('hands admin to the oldest member when the last admin leaves', () => {
    expect(decideGroupCommand(state, cmd(A, { op: 'leave' }), 10)).toMatchObject({ ok: true, next: { participants: [B, C], admins: [B] } });
    const two = { ...state, admins: [A, C] };
    expect(decideGroupCommand(two, cmd(A, { op: 'leave' }), 10)).toMatchObject({ ok: true, next: { admins: [C] } });
  });

  it('lets only the invitee answer a pending invite, once', () => {
    const invite = { groupId: G, inviteeId: D, status: 'pending' as const };
    expect(decideGroupCommand(state, cmd(B, { op: 'respond', inviteId: id(7), accept: true }), 10, invite)).toMatchObject({
      ok: false,
      code: 'NOT_FOUND',
    });
    expect(decideGroupCommand(state, cmd(D, { op: 'respond', inviteId: id(7), accept: false }), 10, invite)).toMatchObject({
      ok: true,
      invite: 'declined',
    });
    const declined = { ...invite, status: 'declined' as const };
    expect(decideGroupCommand(state, cmd(D, { op: 'respond', inviteId: id(7), accept: true }), 10, declined)).toMatchObject({
      ok: false,
      code: 'CONFLICT',
    });
  });

  it('treats repeats as no-ops', () => {
    expect(decideGroupCommand(state, cmd(A, { op: 'remove', userId: D }), 10)).toMatchObject({ ok: true, affected: [] });
    expect(decideGroupCommand(state, cmd(A, { op: 'promote', userId: A }), 10)).toMatchObject({ ok: true, affected: [] });
    expect(decideGroupCommand(state, cmd(A, { op: 'create', name: 'g', memberIds: [] }), 10)).toMatchObject({ ok: true, next: state });
    expect(decideGroupCommand(state, cmd(D, { op: 'leave' }), 10)).toMatchObject({ ok: true, affected: [] });
  });

  it('refuses a blank name when creating or renaming', () => {
    expect(decideGroupCommand(null, cmd(A, { op: 'create', name: ' ', memberIds: [B] }), 10)).toMatchObject({
      ok: false,
      code: 'VALIDATION_FAILED',
    });
    expect(decideGroupCommand(state, cmd(A, { op: 'rename', name: '\t' }), 10)).toMatchObject({ ok: false, code: 'VALIDATION_FAILED' });
  });

  it('accepts removing someone who is not a member, changing nothing; removing oneself is refused (use leave)', () => {
    expect(decideGroupCommand(state, cmd(A, { op: 'remove', userId: D }), 10)).toEqual({ ok: true, next: state, affected: [] });
    expect(decideGroupCommand(state, cmd(A, { op: 'remove', userId: A }), 10)).toMatchObject({ ok: false, code: 'VALIDATION_FAILED' });
    expect(decideGroupCommand(state, cmd(A, { op: 'promote', userId: D }), 10)).toMatchObject({ ok: false, code: 'NOT_FOUND' });
  });

  it('refuses an answer to an invite that is not there, or not the actor’s, before looking at the group', () => {
    expect(decideGroupCommand(null, cmd(D, { op: 'respond', inviteId: id(7), accept: true }), 10, null)).toMatchObject({
      ok: false,
      code: 'NOT_FOUND',
      message: 'invite not found',
    });
    const other = { groupId: id(98), inviteeId: D, status: 'pending' as const };
    expect(decideGroupCommand(state, cmd(D, { op: 'respond', inviteId: id(7), accept: true }), 10, other)).toMatchObject({
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
