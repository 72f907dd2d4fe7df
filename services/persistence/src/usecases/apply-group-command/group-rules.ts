import type { ErrorCode, GroupCommand } from '@chat/contracts';
import type { GroupState } from '@chat/store';

export interface InviteState {
  groupId: string;
  inviteeId: string;
  status: 'pending' | 'accepted' | 'declined';
}

export type GroupDecision =
  | { ok: true; next: GroupState | null; affected: string[]; invite?: 'create' | 'accepted' | 'declined' }
  | { ok: false; code: ErrorCode; message: string };

const refuse = (code: ErrorCode, message: string): GroupDecision => ({ ok: false, code, message });

/**
 * The rules of groups, as a pure function of the stored state and one command. Admin rights are taken
 * from the stored membership, never from the request. Repeating an applied command changes nothing
 * (a broker redelivery must not report a failure or double an effect).
 */
export function decideGroupCommand(state: GroupState | null, cmd: GroupCommand, memberLimit: number, invite: InviteState | null = null): GroupDecision {
  if (cmd.op === 'create') {
    if (state) return { ok: true, next: state, affected: [] };
    const members = [...new Set([cmd.actorId, ...cmd.memberIds])];
    if (members.length > memberLimit) return refuse('CONFLICT', `a group has at most ${memberLimit} members`);
    return { ok: true, next: { name: cmd.name, participants: members, admins: [cmd.actorId] }, affected: members };
  }
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
      return { ok: true, next: { ...state, participants, admins }, affected: [cmd.actorId, ...admins.filter((a) => !state.admins.includes(a))] };
    }
    case 'respond': {
      if (!invite || invite.groupId !== cmd.groupId || invite.inviteeId !== cmd.actorId) return refuse('NOT_FOUND', 'invite not found');
      if (invite.status !== 'pending') {
        const same = (invite.status === 'accepted') === cmd.accept;
        return same ? { ok: true, next: state, affected: [] } : refuse('CONFLICT', `the invite was already ${invite.status}`);
      }
      if (!cmd.accept) return { ok: true, next: state, affected: [cmd.actorId], invite: 'declined' };
      if (isMember) return { ok: true, next: state, affected: [], invite: 'accepted' };
      if (state.participants.length + 1 > memberLimit) return refuse('CONFLICT', `a group has at most ${memberLimit} members`);
      return { ok: true, next: { ...state, participants: [...state.participants, cmd.actorId] }, affected: [cmd.actorId], invite: 'accepted' };
    }
    default:
      break;
  }

  if (!isMember) return refuse('FORBIDDEN', 'you are not a member of this group');
  if (!isAdmin) return refuse('FORBIDDEN', 'only an admin may do that');

  switch (cmd.op) {
    case 'rename':
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
        next: { ...state, participants: state.participants.filter((u) => u !== cmd.userId), admins: state.admins.filter((u) => u !== cmd.userId) },
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
