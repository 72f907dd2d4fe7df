import type { ErrorCode, GroupCommand } from '@chat/contracts';

/** A group as the rules see it: members oldest first, and who of them are admins. */
export interface GroupState {
  name: string;
  participants: string[];
  admins: string[];
}

export interface InviteState {
  groupId: string;
  inviteeId: string;
  status: 'pending' | 'accepted' | 'declined';
}

export type GroupDecision =
  | { ok: true; next: GroupState | null; affected: string[]; invite?: 'create' | 'accepted' | 'declined' }
  | { ok: false; code: ErrorCode; message: string };

const refuse = (code: ErrorCode, message: string): GroupDecision => ({ ok: false, code, message });

const blank = (name: string) => name.trim().length === 0;

export type InviteAnswer = { ok: true; pending: boolean } | { ok: false; code: ErrorCode; message: string };

/**
 * Whether the actor may answer this invite: only its invitee, and only once (the same answer again is a
 * repeat that changes nothing; the other answer is refused). Judged on the invite alone: the member limit
 * counts where the answer is applied (decideGroupCommand), against the group as it is then.
 */
export function judgeInviteAnswer(invite: InviteState | null, cmd: Extract<GroupCommand, { op: 'respond' }>): InviteAnswer {
  if (!invite || invite.groupId !== cmd.groupId || invite.inviteeId !== cmd.actorId)
    return { ok: false, code: 'NOT_FOUND', message: 'invite not found' };
  if (invite.status === 'pending') return { ok: true, pending: true };
  if ((invite.status === 'accepted') === cmd.accept) return { ok: true, pending: false };
  return { ok: false, code: 'CONFLICT', message: `the invite was already ${invite.status}` };
}

/**
 * The rules of groups, as a pure function of the stored state and one command. Admin rights are taken
 * from the stored membership, never from the request. A command that would change nothing is accepted and
 * changes nothing (removing someone who is not a member, promoting an admin, answering an invite the same
 * way again): a broker redelivery of an applied command must not report a failure or double an effect,
 * and the edge, judging the same way, accepts it too.
 */
export function decideGroupCommand(
  state: GroupState | null,
  cmd: GroupCommand,
  memberLimit: number,
  invite: InviteState | null = null,
): GroupDecision {
  if (cmd.op === 'create') {
    if (state) return { ok: true, next: state, affected: [] };
    const members = [...new Set([cmd.actorId, ...cmd.memberIds])];
    if (members.length > memberLimit) return refuse('CONFLICT', `a group has at most ${memberLimit} members`);
    if (blank(cmd.name)) return refuse('VALIDATION_FAILED', 'name must not be blank');
    return { ok: true, next: { name: cmd.name, participants: members, admins: [cmd.actorId] }, affected: members };
  }
  const answer = cmd.op === 'respond' ? judgeInviteAnswer(invite, cmd) : null;
  if (answer && !answer.ok) return answer;
  if (!state) return refuse('NOT_FOUND', 'group not found');
  const isMember = state.participants.includes(cmd.actorId);
  const isAdmin = state.admins.includes(cmd.actorId);

  switch (cmd.op) {
    case 'leave': {
      if (!isMember) return { ok: true, next: state, affected: [] };
      const participants = state.participants.filter((u) => u !== cmd.actorId);
      let admins = state.admins.filter((u) => u !== cmd.actorId);
      // the last admin leaving hands admin to the oldest remaining member
      if (admins.length === 0 && participants.length > 0) admins = [participants[0]];
      return {
        ok: true,
        next: { ...state, participants, admins },
        affected: [cmd.actorId, ...admins.filter((a) => !state.admins.includes(a))],
      };
    }
    case 'respond': {
      if (!answer?.pending) return { ok: true, next: state, affected: [] };
      if (!cmd.accept) return { ok: true, next: state, affected: [cmd.actorId], invite: 'declined' };
      if (isMember) return { ok: true, next: state, affected: [], invite: 'accepted' };
      if (state.participants.length + 1 > memberLimit) return refuse('CONFLICT', `a group has at most ${memberLimit} members`);
      return {
        ok: true,
        next: { ...state, participants: [...state.participants, cmd.actorId] },
        affected: [cmd.actorId],
        invite: 'accepted',
      };
    }
    default:
      break;
  }

  if (!isMember) return refuse('FORBIDDEN', 'you are not a member of this group');
  if (!isAdmin) return refuse('FORBIDDEN', 'only an admin may do that');

  switch (cmd.op) {
    case 'rename':
      if (blank(cmd.name)) return refuse('VALIDATION_FAILED', 'name must not be blank');
      return { ok: true, next: { ...state, name: cmd.name }, affected: [] };
    case 'add': {
      const fresh = [...new Set(cmd.userIds)].filter((u) => !state.participants.includes(u));
      if (state.participants.length + fresh.length > memberLimit) return refuse('CONFLICT', `a group has at most ${memberLimit} members`);
      return { ok: true, next: { ...state, participants: [...state.participants, ...fresh] }, affected: fresh };
    }
    case 'remove': {
      if (cmd.userId === cmd.actorId) return refuse('VALIDATION_FAILED', 'use leave to leave a group');
      if (!state.participants.includes(cmd.userId)) return { ok: true, next: state, affected: [] };
      return {
        ok: true,
        next: {
          ...state,
          participants: state.participants.filter((u) => u !== cmd.userId),
          admins: state.admins.filter((u) => u !== cmd.userId),
        },
        affected: [cmd.userId],
      };
    }
    case 'promote': {
      if (!state.participants.includes(cmd.userId)) return refuse('NOT_FOUND', 'that user is not a member');
      if (state.admins.includes(cmd.userId)) return { ok: true, next: state, affected: [] };
      return { ok: true, next: { ...state, admins: [...state.admins, cmd.userId] }, affected: [cmd.userId] };
    }
    case 'invite': {
      if (state.participants.includes(cmd.userId)) return refuse('CONFLICT', 'that user is already a member');
      return { ok: true, next: state, affected: [cmd.userId], invite: 'create' };
    }
  }
}
