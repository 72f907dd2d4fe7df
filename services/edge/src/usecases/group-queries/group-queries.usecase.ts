import { Forbidden, NotFound, type GroupView, type MessageView } from '@chat/contracts';
import { toGroupView, toMessageView, type InviteDoc, type MemberRoom, type MessageDoc, type RoomScope } from '@chat/store';
import type { Conversations, Cursors, Messages } from '../ports';
import type { RoomSummaries, RoomSummary } from '../room-summaries';

export interface GroupListing {
  listForUser(userId: string, page: { limit: number; offset: number }): Promise<MemberRoom[]>;
  pendingInvites(userId: string, page: { limit: number; offset: number }): Promise<InviteDoc[]>;
}

export interface PendingInvite {
  inviteId: string;
  groupId: string;
  /** The group's name now (null if the group is gone). */
  name: string | null;
  inviterId: string;
  createdAt: string;
}
/** The message reads about groups: mentions, and a message by id (for its receipts). */
export interface GroupMessages extends Pick<Messages, 'findByIds'> {
  mentioning(scope: RoomScope, limit: number): Promise<MessageDoc[]>;
}

export type GroupSummary = GroupView & RoomSummary;

/** Who of the other members has a group message (delivered) and who read it: its sender's "message info". */
export interface MessageReceipts {
  messageId: string;
  deliveredTo: string[];
  readBy: string[];
  of: number;
}

/** Reads about groups, for members only: my groups, a group's members, my mentions in a group. */
export class GroupQueriesUseCase {
  constructor(
    private readonly groups: GroupListing,
    private readonly conversations: Conversations,
    private readonly messages: GroupMessages,
    private readonly summaries: RoomSummaries,
    private readonly cursors: Pick<Cursors, 'forRoom'>,
  ) {}

  /** My groups, most recent activity first, each with its last message and my unread count. */
  async myGroups(userId: string, page: { limit?: number; offset?: number }): Promise<GroupSummary[]> {
    const docs = await this.groups.listForUser(userId, { limit: page.limit ?? 50, offset: page.offset ?? 0 });
    const summaries = await this.summaries.of(userId, docs);
    return docs.map((g, i) => ({ ...toGroupView(g), ...summaries[i] }));
  }

  /**
   * Invites waiting for my answer: the group_invite notice may never have reached me (a device that was
   * offline when Redis lost its data), and the invite id is what answering takes.
   */
  async pendingInvites(userId: string, page: { limit?: number; offset?: number }): Promise<PendingInvite[]> {
    const invites = await this.groups.pendingInvites(userId, { limit: page.limit ?? 50, offset: page.offset ?? 0 });
    const groups = await Promise.all(invites.map((i) => this.conversations.get(i.groupId)));
    // an accepted invite is stored as such just after the membership (the worker's order, so a crash
    // between is repaired on redelivery): one whose invitee is already a member is not waiting any more
    return invites
      .map((i, n) => ({ i, g: groups[n] }))
      .filter(({ g }) => !g?.participants.includes(userId))
      .map(({ i, g }) => ({
        inviteId: String(i._id),
        groupId: i.groupId,
        name: g?.name ?? null,
        inviterId: i.inviterId,
        createdAt: new Date(i.createdAt).toISOString(),
      }));
  }

  async members(userId: string, groupId: string): Promise<{ groupId: string; members: string[]; admins: string[] }> {
    const g = await this.conversations.get(groupId);
    if (!g || g.kind !== 'group' || !g.participants.includes(userId)) throw new NotFound('group not found');
    return { groupId, members: [...g.participants], admins: [...(g.admins ?? [])] };
  }

  /**
   * Per-member receipts of one group message, for its sender (other members get 403, outsiders 404): the
   * members now in the group whose delivered / read cursor reached its seq (read implies delivered).
   */
  async messageReceipts(userId: string, groupId: string, messageId: string): Promise<MessageReceipts> {
    const scope = await this.conversations.scopeFor(groupId, userId);
    if (!scope || scope.kind !== 'group') throw new NotFound('group not found');
    const [msg] = await this.messages.findByIds([messageId]);
    if (!msg || msg.roomId !== groupId || msg.deletedAt) throw new NotFound('message not found');
    if (msg.senderId !== userId) throw new Forbidden('only the sender sees who received and read a message');
    const cursors = await this.cursors.forRoom(groupId);
    const others = scope.participants.filter((u) => u !== userId);
    return {
      messageId,
      deliveredTo: others.filter((u) => (cursors.get(u)?.deliveredSeq ?? 0) >= msg.seq),
      readBy: others.filter((u) => (cursors.get(u)?.readSeq ?? 0) >= msg.seq),
      of: others.length,
    };
  }

  async tagged(userId: string, groupId: string, limit = 50): Promise<MessageView[]> {
    const scope = await this.conversations.scopeFor(groupId, userId);
    if (!scope || scope.kind !== 'group') throw new NotFound('group not found');
    return (await this.messages.mentioning(scope, limit)).map((m) => toMessageView(m));
  }
}
