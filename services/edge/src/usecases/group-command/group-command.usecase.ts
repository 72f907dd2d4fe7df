import { randomUUID } from 'node:crypto';
import { Conflict, Forbidden, Invalid, newTimedId, NotFound, RoutingKeys, type GroupCommand, type GroupOp } from '@chat/contracts';
import type { ConversationDoc, InviteDoc } from '@chat/store';
import type { CommandBus } from '../ports';
import { readIssued } from '../fresh';
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
 * removed_from_group, group_invite, or group_error to the actor). What can be refused from the stored
 * membership now is refused here at once: rights are read from MongoDB, never from the request.
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
      const { groupId, op } = await this.check(req);
      await turn();
      const cmd = { type: RoutingKeys.groupCommand, correlationId: req.correlationId ?? randomUUID(), groupId, actorId: req.userId, requestedAt: this.now().toISOString(), ...op } as GroupCommand;
      const confirmed = this.bus.publishConfirmed(this.bus.route(RoutingKeys.groupCommand, groupId), cmd, { correlationId: cmd.correlationId });
      handOver();
      await confirmed;
      return { groupId, op: op.op, status: 'accepted', ...(op.op === 'invite' ? { inviteId: op.inviteId } : {}) };
    });
  }

  private async check(req: GroupRequest): Promise<{ groupId: string; op: GroupOp }> {
    const { op, userId } = req;
    if (op.op === 'create') {
      const members = new Set([userId, ...op.memberIds]);
      if (members.size > this.memberLimit) throw new Conflict(`a group has at most ${this.memberLimit} members`);
      if (op.name.trim().length === 0) throw new Invalid('name must not be blank');
      return { groupId: newId(), op };
    }
    if (op.op === 'respond') {
      const invite = await readIssued(op.inviteId, () => this.groups.getInvite(op.inviteId));
      if (!invite || invite.inviteeId !== userId) throw new NotFound('invite not found');
      if (invite.status !== 'pending') throw new Conflict(`the invite was already ${invite.status}`);
      return { groupId: invite.groupId, op };
    }
    const groupId = req.groupId;
    const group = groupId ? await readIssued(groupId, () => this.groups.get(groupId)) : null;
    if (!group || !group.participants.includes(userId)) throw new NotFound('group not found');
    if (op.op === 'leave') return { groupId: req.groupId!, op };
    if (!(group.admins ?? []).includes(userId)) throw new Forbidden('only an admin may do that');
    switch (op.op) {
      case 'rename':
        if (op.name.trim().length === 0) throw new Invalid('name must not be blank');
        break;
      case 'add': {
        const fresh = new Set(op.userIds.filter((u) => !group.participants.includes(u)));
        if (group.participants.length + fresh.size > this.memberLimit) throw new Conflict(`a group has at most ${this.memberLimit} members`);
        break;
      }
      case 'remove':
        if (op.userId === userId) throw new Invalid('use leave to leave a group');
        if (!group.participants.includes(op.userId)) throw new NotFound('that user is not a member');
        break;
      case 'promote':
        if (!group.participants.includes(op.userId)) throw new NotFound('that user is not a member');
        break;
      case 'invite':
        if (group.participants.includes(op.userId)) throw new Conflict('that user is already a member');
        return { groupId: req.groupId!, op: { ...op, inviteId: newId() } };
    }
    return { groupId: req.groupId!, op };
  }
}
