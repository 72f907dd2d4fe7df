import { createHash } from 'node:crypto';
import { RoutingKeys, type GroupChangedEvent, type GroupCommand } from '@chat/contracts';
import { decideGroupCommand, usersNamed, type GroupLimits, type GroupState, type Joiner } from '@chat/domain';
import { toGroupState, toGroupView, type ConversationDoc, type InviteDoc } from '@chat/store';

export interface GroupPort {
  get(groupId: string): Promise<ConversationDoc | null>;
  create(groupId: string, creator: string, state: GroupState, at: Date): Promise<ConversationDoc>;
  save(groupId: string, state: GroupState, at: Date, previous: string[], lastSeq: number): Promise<void>;
  getInvite(inviteId: string): Promise<InviteDoc | null>;
  createInvite(invite: { id: string; groupId: string; inviterId: string; inviteeId: string; at: Date }): Promise<void>;
  answerInvite(inviteId: string, status: 'accepted' | 'declined', at: Date): Promise<void>;
  joiners(actorId: string, listed: string[], opts: { groupCap: number; withActor: boolean }): Promise<Map<string, Joiner>>;
  /** Of these users, those who block the actor (BlockStore.blockersAmong), read now. */
  blockersAmong(actorId: string, userIds: string[]): Promise<Set<string>>;
}

/** The invite id the edge chose for a listed user; for a command from before it chose them, one derived from the command (the same on redelivery). */
export function inviteIdFor(cmd: Extract<GroupCommand, { op: 'create' | 'add' }>, userId: string): string {
  const listed = cmd.op === 'create' ? cmd.memberIds : cmd.userIds;
  const chosen = cmd.inviteIds?.[listed.indexOf(userId)];
  return chosen ?? createHash('sha256').update(`${cmd.correlationId}|${cmd.groupId}|${userId}`).digest('hex').slice(0, 24);
}

/**
 * Judges and applies one group command where the group's writes are serialised, and reports the outcome.
 * Its judgement of who is added and who only invited (the users' settings and contacts as they are now),
 * and of whether a named user blocks the actor, is the one that counts, whatever the edge judged on acceptance.
 */
export class ApplyGroupCommandUseCase {
  constructor(
    private readonly groups: GroupPort,
    private readonly limits: GroupLimits,
    /** The group's last seq as its writer knows it (RoomHeads.lastSeqOf): a new member's join point. */
    private readonly lastSeqOf: (groupId: string) => Promise<number | null> = async () => null,
  ) {}

  async execute(cmd: GroupCommand): Promise<GroupChangedEvent> {
    const doc = await this.groups.get(cmd.groupId);
    const state = doc ? toGroupState(doc) : null;
    const inviteId = cmd.op === 'invite' || cmd.op === 'respond' ? cmd.inviteId : undefined;
    const invite = cmd.op === 'respond' ? await this.groups.getInvite(cmd.inviteId) : null;
    // judged first without the users' facts: what is refused anyway (rights, the member limit) costs no lookups
    const rough = decideGroupCommand(state, cmd, this.limits, { invite });
    const named = usersNamed(cmd);
    const decision = rough.ok
      ? decideGroupCommand(state, cmd, this.limits, {
          invite,
          joiners: await this.joinersFor(cmd, state),
          // whoever blocks the actor now, whatever the edge's cached view said when it accepted the command
          blockers: named.length > 0 ? await this.groups.blockersAmong(cmd.actorId, named) : undefined,
        })
      : rough;
    const base = {
      type: RoutingKeys.groupChanged,
      correlationId: cmd.correlationId,
      groupId: cmd.groupId,
      actorId: cmd.actorId,
      op: cmd.op,
      previousMembers: state?.participants ?? [],
      ...(inviteId ? { inviteId } : {}),
    } as const;
    if (!decision.ok) {
      return {
        ...base,
        outcome: 'refused',
        group: doc ? toGroupView(doc) : null,
        affected: [],
        error: { code: decision.code, message: decision.message },
      };
    }
    const at = new Date(cmd.requestedAt);
    let after = doc;
    if (cmd.op === 'create' && !doc) after = await this.groups.create(cmd.groupId, cmd.actorId, decision.next!, at);
    else if (doc && decision.next && decision.next !== state) {
      await this.groups.save(cmd.groupId, decision.next, at, state?.participants ?? [], (await this.lastSeqOf(cmd.groupId)) ?? doc.lastSeq);
      after = { ...doc, ...decision.next, lastActivityAt: at };
    }
    if (decision.invite === 'create' && cmd.op === 'invite') {
      await this.groups.createInvite({ id: cmd.inviteId, groupId: cmd.groupId, inviterId: cmd.actorId, inviteeId: cmd.userId, at });
    } else if ((decision.invite === 'accepted' || decision.invite === 'declined') && cmd.op === 'respond') {
      await this.groups.answerInvite(cmd.inviteId, decision.invite, at);
    }
    let invited: GroupChangedEvent['invited'];
    if ((cmd.op === 'create' || cmd.op === 'add') && decision.invited) {
      invited = decision.invited.map((userId) => ({ userId, inviteId: inviteIdFor(cmd, userId) }));
      for (const i of invited) {
        await this.groups.createInvite({ id: i.inviteId, groupId: cmd.groupId, inviterId: cmd.actorId, inviteeId: i.userId, at });
      }
    }
    return {
      ...base,
      outcome: 'applied',
      group: after ? toGroupView(after) : null,
      affected: decision.affected,
      ...(invited && invited.length > 0 ? { invited } : {}),
    };
  }

  /** The facts of the users the command would put in the group; none for commands that put no one in. */
  private async joinersFor(cmd: GroupCommand, state: GroupState | null): Promise<Map<string, Joiner> | undefined> {
    const opts = { groupCap: this.limits.groupsPerUser, withActor: true };
    if (cmd.op === 'create' && !state) return this.groups.joiners(cmd.actorId, cmd.memberIds, opts);
    if (cmd.op === 'add') return this.groups.joiners(cmd.actorId, cmd.userIds, { ...opts, withActor: false });
    if (cmd.op === 'respond' && cmd.accept) return this.groups.joiners(cmd.actorId, [], opts);
    return undefined;
  }
}
