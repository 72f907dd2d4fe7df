import type { ErrorCode, GroupAdds, GroupCommand } from '@chat/contracts';
import { BLOCKED } from './block-rules';

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

/** What the rules need to know of a user someone wants in a group (or who wants in). */
export interface Joiner {
  /** The user's setting: who may add the user without asking. */
  groupAdds: GroupAdds;
  /** Whether the user counts as the actor's contact (has written to the actor in their one-to-one conversation). */
  contact: boolean;
  /** How many groups the user is in now. */
  groups: number;
}

/** A user nothing is known of: added by nobody without consent, in no group. */
export const UNKNOWN_JOINER: Joiner = Object.freeze({ groupAdds: 'contacts', contact: false, groups: 0 });

export interface GroupLimits {
  /** Members of one group. */
  members: number;
  /** Groups one user may be in. */
  groupsPerUser: number;
}

export interface GroupFacts {
  invite?: InviteState | null;
  /** The actor (create, respond) and the listed users (create, add); anyone missing is UNKNOWN_JOINER. */
  joiners?: ReadonlyMap<string, Joiner>;
  /** Of the users a create, add or invite names, those who block the actor (see refusesActor). */
  blockers?: ReadonlySet<string>;
}

/** The users a command would put in a group or invite to it (create, add, invite); others name none. */
export function usersNamed(cmd: GroupCommand): string[] {
  return cmd.op === 'create' ? cmd.memberIds : cmd.op === 'add' ? cmd.userIds : cmd.op === 'invite' ? [cmd.userId] : [];
}

export type GroupDecision =
  | {
      ok: true;
      next: GroupState | null;
      affected: string[];
      invite?: 'create' | 'accepted' | 'declined';
      /** Create and add: the listed users to invite instead of adding (they join by accepting). */
      invited?: string[];
    }
  | { ok: false; code: ErrorCode; message: string };

const refuse = (code: ErrorCode, message: string): GroupDecision => ({ ok: false, code, message });

/** A user who blocks the actor is neither added nor invited by the actor (the whole command is refused). */
const blockedBy = (users: string[], blockers: ReadonlySet<string> | undefined): GroupDecision | null =>
  blockers && users.some((u) => blockers.has(u)) ? { ok: false, ...BLOCKED } : null;

/**
 * Whether the actor may put the user in a group without asking, by the user's setting. Anyone else is
 * invited: being placed in a group exposes the user to its members and its messages, so a stranger needs
 * the user's yes.
 */
export function groupAddsDirectly(j: Joiner): boolean {
  return j.groupAdds === 'everyone' || (j.groupAdds === 'contacts' && j.contact);
}

/** The listed users split into those added at once and those invited; members already in are left out. */
export function splitGroupAdds(
  listed: string[],
  members: string[],
  joiners: ReadonlyMap<string, Joiner>,
): { added: string[]; invited: string[] } {
  const fresh = [...new Set(listed)].filter((u) => !members.includes(u));
  const direct = (u: string) => groupAddsDirectly(joiners.get(u) ?? UNKNOWN_JOINER);
  return { added: fresh.filter(direct), invited: fresh.filter((u) => !direct(u)) };
}

/** Refuses when one of these users is in as many groups as one user may be (null: none is). */
export function judgeGroupCap(
  userIds: string[],
  joiners: ReadonlyMap<string, Joiner>,
  limit: number,
  self: string,
): { ok: false; code: ErrorCode; message: string } | null {
  const full = userIds.filter((u) => (joiners.get(u) ?? UNKNOWN_JOINER).groups >= limit);
  if (full.length === 0) return null;
  const who = full.length > 1 ? `${full.length} users are` : full[0] === self ? 'you are' : 'a user is';
  return { ok: false, code: 'LIMIT_REACHED', message: `${who} in ${limit} groups already, the most one user may be in` };
}

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
 * and the edge, judging the same way, accepts it too. A create or add makes members only of the listed
 * users `groupAddsDirectly` allows and invites the others; nobody joins past `limits.groupsPerUser` groups.
 */
export function decideGroupCommand(
  state: GroupState | null,
  cmd: GroupCommand,
  limits: GroupLimits,
  facts: GroupFacts = {},
): GroupDecision {
  const memberLimit = limits.members;
  const invite = facts.invite ?? null;
  const joiners = facts.joiners ?? new Map<string, Joiner>();
  if (cmd.op === 'create') {
    // a repeat (the id is the edge's): the invites are issued again, harmlessly, in case they were not yet
    if (state) {
      const again = splitGroupAdds(cmd.memberIds, [cmd.actorId, ...state.participants], new Map()).invited;
      return { ok: true, next: state, affected: [], invited: again };
    }
    const listed = [...new Set(cmd.memberIds)].filter((u) => u !== cmd.actorId);
    if (listed.length + 1 > memberLimit) return refuse('CONFLICT', `a group has at most ${memberLimit} members`);
    if (blank(cmd.name)) return refuse('VALIDATION_FAILED', 'name must not be blank');
    const blocked = blockedBy(listed, facts.blockers);
    if (blocked) return blocked;
    const { added, invited } = splitGroupAdds(listed, [cmd.actorId], joiners);
    const members = [cmd.actorId, ...added];
    const full = judgeGroupCap(members, joiners, limits.groupsPerUser, cmd.actorId);
    if (full) return full;
    return { ok: true, next: { name: cmd.name, participants: members, admins: [cmd.actorId] }, affected: members, invited };
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
      const full = judgeGroupCap([cmd.actorId], joiners, limits.groupsPerUser, cmd.actorId);
      if (full) return full;
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
      const blocked = blockedBy(
        cmd.userIds.filter((u) => !state.participants.includes(u)),
        facts.blockers,
      );
      if (blocked) return blocked;
      const { added, invited } = splitGroupAdds(cmd.userIds, state.participants, joiners);
      // the invited count too: the group could not take them all once they accept
      if (state.participants.length + added.length + invited.length > memberLimit)
        return refuse('CONFLICT', `a group has at most ${memberLimit} members`);
      const full = judgeGroupCap(added, joiners, limits.groupsPerUser, cmd.actorId);
      if (full) return full;
      const next = added.length > 0 ? { ...state, participants: [...state.participants, ...added] } : state;
      return { ok: true, next, affected: added, invited };
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
      const blocked = blockedBy([cmd.userId], facts.blockers);
      if (blocked) return blocked;
      return { ok: true, next: state, affected: [cmd.userId], invite: 'create' };
    }
  }
}
