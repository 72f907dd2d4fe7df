import { randomUUID } from 'node:crypto';
import { AppError, newTimedId, NotFound, RoutingKeys, type GroupCommand, type GroupOp } from '@chat/contracts';
import { decideGroupCommand, judgeInviteAnswer } from '@chat/domain';
import { toGroupState, type ConversationDoc, type InviteDoc } from '@chat/store';
import type { CommandBus } from '../ports';
import { readYourWrites } from '../read-your-writes';
import type { SenderLanes } from '../sender-lanes';

export interface GroupReads {
  get(groupId: string): Promise<ConversationDoc | null>;
  getInvite(inviteId: string): Promise<InviteDoc | null>;
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
}

const newId = () => newTimedId();

/**
 * Accepts a change to a group and sends it through the group's ordered queue; the persistence worker that
 * owns the group applies it (one writer per group) and every member hears the outcome (group_updated,
 * removed_from_group, group_invite, or group_error to the actor). What the group rules
 * (`decideGroupCommand`, the same the worker applies) refuse against the stored group is refused here at
 * once: rights are read from MongoDB, never from the request.
 */
export class GroupCommandUseCase {
  constructor(
    private readonly groups: GroupReads,
    private readonly bus: CommandBus,
    private readonly lanes: SenderLanes,
    private readonly memberLimit: number,
    private readonly now: () => Date = () => new Date(),
  ) {}

  execute(req: GroupRequest): Promise<GroupAccepted> {
    return this.lanes.run(req.userId, async (turn, handOver) => {
      const checked = await this.check(req);
      await turn();
      const cmd = { ...checked, requestedAt: this.now().toISOString() };
      const confirmed = this.bus.publishConfirmed(this.bus.route(RoutingKeys.groupCommand, cmd.groupId), cmd, {
        correlationId: cmd.correlationId,
      });
      handOver();
      await confirmed;
      return { groupId: cmd.groupId, op: cmd.op, status: 'accepted', ...(cmd.op === 'invite' ? { inviteId: cmd.inviteId } : {}) };
    });
  }

  /** The command, once the group rules accept it against the stored group (and invite). */
  private async check(req: GroupRequest): Promise<GroupCommand> {
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
    const cmd = {
      type: RoutingKeys.groupCommand,
      correlationId: req.correlationId ?? randomUUID(),
      groupId,
      actorId: userId,
      requestedAt: this.now().toISOString(),
      ...op,
    } as GroupCommand;
    // an answer is judged on the invite; whether the group has room is judged where it is applied
    const verdict =
      cmd.op === 'respond' ? judgeInviteAnswer(invite, cmd) : decideGroupCommand(group ? toGroupState(group) : null, cmd, this.memberLimit);
    if (!verdict.ok) throw new AppError(verdict.code, verdict.message);
    return cmd;
  }
}
