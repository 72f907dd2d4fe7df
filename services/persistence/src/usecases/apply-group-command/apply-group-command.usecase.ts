import { RoutingKeys, type GroupChangedEvent, type GroupCommand } from '@chat/contracts';
import { decideGroupCommand, type GroupState } from '@chat/domain';
import { toGroupState, toGroupView, type ConversationDoc, type InviteDoc } from '@chat/store';

export interface GroupPort {
  get(groupId: string): Promise<ConversationDoc | null>;
  create(groupId: string, creator: string, state: GroupState, at: Date): Promise<ConversationDoc>;
  save(groupId: string, state: GroupState, at: Date, previous: string[], lastSeq: number): Promise<void>;
  getInvite(inviteId: string): Promise<InviteDoc | null>;
  createInvite(invite: { id: string; groupId: string; inviterId: string; inviteeId: string; at: Date }): Promise<void>;
  answerInvite(inviteId: string, status: 'accepted' | 'declined', at: Date): Promise<void>;
}

/** Judges and applies one group command where the group's writes are serialised, and reports the outcome. */
export class ApplyGroupCommandUseCase {
  constructor(
    private readonly groups: GroupPort,
    private readonly memberLimit: number,
    /** The group's last seq as its writer knows it (RoomHeads.lastSeqOf): a new member's join point. */
    private readonly lastSeqOf: (groupId: string) => Promise<number | null> = async () => null,
  ) {}

  async execute(cmd: GroupCommand): Promise<GroupChangedEvent> {
    const doc = await this.groups.get(cmd.groupId);
    const state = doc ? toGroupState(doc) : null;
    const inviteId = cmd.op === 'invite' || cmd.op === 'respond' ? cmd.inviteId : undefined;
    const invite = cmd.op === 'respond' ? await this.groups.getInvite(cmd.inviteId) : null;
    const decision = decideGroupCommand(state, cmd, this.memberLimit, invite);
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
    return { ...base, outcome: 'applied', group: after ? toGroupView(after) : null, affected: decision.affected };
  }
}
