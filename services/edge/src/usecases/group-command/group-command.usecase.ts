import { randomUUID } from 'node:crypto';
import { AppError, newTimedId, NotFound, RoutingKeys, type GroupCommand, type GroupOp } from '@chat/contracts';
import { decideGroupCommand, judgeGroupCap, judgeInviteAnswer, usersNamed, type GroupLimits, type Joiner } from '@chat/domain';
import { toGroupState, type ConversationDoc, type InviteDoc } from '@chat/store';
import { mapBounded } from '../bounded';
import { NO_BLOCKS, type BlockCheck, type CommandBus } from '../ports';
import { readYourWrites } from '../read-your-writes';
import type { SenderLanes } from '../sender-lanes';

export interface GroupReads {
  get(groupId: string): Promise<ConversationDoc | null>;
  getInvite(inviteId: string): Promise<InviteDoc | null>;
  /** What the rules need of the users a command would put in a group (GroupStore.joiners). */
  joiners(actorId: string, listed: string[], opts: { groupCap: number; withActor: boolean }): Promise<Map<string, Joiner>>;
}

export interface GroupRequest {
  userId: string;
  /** Absent for create (the edge picks the id) and respond (the invite names the group). */
  groupId?: string;
  op: GroupOp;
  correlationId?: string;
}

export interface GroupAccepted {
  groupId: string;
  op: GroupOp['op'];
  status: 'accepted';
  inviteId?: string;
  /** Create and add, as judged on acceptance: the listed users added at once and those invited (they join by accepting). */
  added?: string[];
  invited?: string[];
}

const newId = () => newTimedId();

/**
 * Accepts a change to a group and sends it through the group's ordered queue; the persistence worker that
 * owns the group applies it (one writer per group) and every member hears the outcome (group_updated,
 * removed_from_group, group_invite, or group_error to the actor). What the group rules
 * (`decideGroupCommand`, the same the worker applies) refuse against the stored group is refused here at
 * once: rights are read from MongoDB, never from the request. Of the users a create or add lists, those
 * whose setting does not let the actor add them are invited instead; the worker judges that again and its
 * judgement is the one applied.
 */
export class GroupCommandUseCase {
  constructor(
    private readonly groups: GroupReads,
    private readonly bus: CommandBus,
    private readonly lanes: SenderLanes,
    private readonly limits: GroupLimits,
    private readonly now: () => Date = () => new Date(),
    /** Whether a named user blocks the actor, as this edge knows it; the group's worker judges again. */
    private readonly blocks: BlockCheck = NO_BLOCKS,
  ) {}

  execute(req: GroupRequest): Promise<GroupAccepted> {
    return this.lanes.run(req.userId, async (turn, handOver) => {
      const { cmd: checked, added, invited } = await this.check(req);
      await turn();
      const cmd = { ...checked, requestedAt: this.now().toISOString() };
      const confirmed = this.bus.publishConfirmed(this.bus.route(RoutingKeys.groupCommand, cmd.groupId), cmd, {
        correlationId: cmd.correlationId,
      });
      handOver();
      await confirmed;
      return {
        groupId: cmd.groupId,
        op: cmd.op,
        status: 'accepted',
        ...(cmd.op === 'invite' ? { inviteId: cmd.inviteId } : {}),
        ...(added ? { added, invited } : {}),
      };
    });
  }

  /** The command, once the group rules accept it against the stored group (and invite), and whom it adds and invites. */
  private async check(req: GroupRequest): Promise<{ cmd: GroupCommand; added?: string[]; invited?: string[] }> {
    const { userId } = req;
    let { op } = req;
    let groupId = req.groupId ?? '';
    let group: ConversationDoc | null = null;
    let invite: InviteDoc | null = null;
    if (op.op === 'create') groupId = newId();
    else if (op.op === 'respond') {
      const inviteId = op.inviteId;
      invite = await readYourWrites(inviteId, () => this.groups.getInvite(inviteId));
      groupId = invite?.groupId ?? '';
    } else {
      group = groupId ? await readYourWrites(groupId, () => this.groups.get(groupId)) : null;
      // an outsider is told the group does not exist, as for any room it is not in
      if (!group || !group.participants.includes(userId)) throw new NotFound('group not found');
      if (op.op === 'invite') op = { ...op, inviteId: newId() };
    }
    // an id for each listed user, used if the worker invites that user rather than adding
    if (op.op === 'create') op = { ...op, inviteIds: op.memberIds.map(newId) };
    if (op.op === 'add') op = { ...op, inviteIds: op.userIds.map(newId) };
    const cmd = {
      type: RoutingKeys.groupCommand,
      correlationId: req.correlationId ?? randomUUID(),
      groupId,
      actorId: userId,
      requestedAt: this.now().toISOString(),
      ...op,
    } as GroupCommand;
    if (cmd.op === 'respond') {
      // an answer is judged on the invite and the invitee's groups; whether the group has room, where it is applied
      const answer = judgeInviteAnswer(invite, cmd);
      if (!answer.ok) throw new AppError(answer.code, answer.message);
      if (answer.pending && cmd.accept) {
        const joiners = await this.groups.joiners(userId, [], { groupCap: this.limits.groupsPerUser, withActor: true });
        const full = judgeGroupCap([userId], joiners, this.limits.groupsPerUser, userId);
        if (full) throw new AppError(full.code, full.message);
      }
      return { cmd };
    }
    const state = group ? toGroupState(group) : null;
    // judged first without the listed users' facts: what is refused anyway (rights, the member limit) costs no lookups
    const rough = decideGroupCommand(state, cmd, this.limits);
    if (!rough.ok) throw new AppError(rough.code, rough.message);
    const listed = cmd.op === 'create' ? cmd.memberIds : cmd.op === 'add' ? cmd.userIds : null;
    const named = [...new Set(usersNamed(cmd))].filter((u) => u !== userId);
    if (!listed && named.length === 0) return { cmd };
    // a named user who blocks the actor refuses the command (BLOCKED), whether the user would be added or invited
    const blocking = await mapBounded(named, (u) => this.blocks.blocks(u, userId));
    const blockers = new Set(named.filter((_u, i) => blocking[i]));
    const joiners = listed
      ? await this.groups.joiners(userId, listed, { groupCap: this.limits.groupsPerUser, withActor: cmd.op === 'create' })
      : undefined;
    const verdict = decideGroupCommand(state, cmd, this.limits, { joiners, blockers });
    if (!verdict.ok) throw new AppError(verdict.code, verdict.message);
    if (!listed) return { cmd };
    return { cmd, added: verdict.affected.filter((u) => u !== userId), invited: verdict.invited ?? [] };
  }
}
