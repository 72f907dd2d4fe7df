import type { GroupState, Joiner } from '@chat/domain';
import { Types } from 'mongoose';
import { joinersOf } from './group-joiners';
import { addMemberships, removeMemberships, roomsOf, type MemberRoom } from './membership';
import type { ConversationDoc, InviteDoc, Models } from './models';

const DUPLICATE_KEY = 11000;

export type { GroupState };

/** A stored group as the group rules read it. */
export function toGroupState(doc: Pick<ConversationDoc, 'name' | 'participants' | 'admins'>): GroupState {
  return { name: doc.name ?? '', participants: doc.participants, admins: doc.admins ?? [] };
}

/**
 * Groups are conversations of kind 'group'. Their state is written only by the persistence worker that
 * owns the group's partition (see the persistence worker's RoomHeads), so each write can replace the fields it
 * owns without a race; invites likewise.
 */
export class GroupStore {
  constructor(private readonly m: Models) {}

  async get(groupId: string): Promise<ConversationDoc | null> {
    if (!Types.ObjectId.isValid(groupId)) return null;
    return this.m.Conversation.findOne({ _id: groupId, kind: 'group' }).lean<ConversationDoc>();
  }

  /** Inserts the group under the id the edge chose; a repeat returns the stored one. */
  async create(groupId: string, creator: string, state: GroupState, at: Date): Promise<ConversationDoc> {
    try {
      const [doc] = await this.m.Conversation.insertMany(
        [
          {
            _id: new Types.ObjectId(groupId),
            key: `group:${groupId}`,
            kind: 'group',
            ...state,
            createdBy: creator,
            lastSeq: 0,
            lastMessage: null,
            lastActivityAt: at,
            createdAt: at,
          },
        ],
        { lean: true },
      );
      await addMemberships(this.m, groupId, state.participants, 'group');
      return doc;
    } catch (err) {
      if ((err as { code?: number }).code !== DUPLICATE_KEY) throw err;
      const existing = await this.get(groupId);
      if (!existing) throw err;
      await addMemberships(this.m, groupId, existing.participants, 'group');
      return existing;
    }
  }

  /**
   * Writes the new state and brings the membership rows in line. A member new to the group sees it from
   * `lastSeq`, the group's seq now (its writer is the caller, so no message of the group is stored
   * meanwhile): its row, which says so, is written before the state that makes it a member, so no read
   * finds it a member without its join seq. Rows of members who left go after the state. A crash in
   * between is repaired when the command is redelivered (it is acknowledged only once all is written).
   */
  async save(groupId: string, state: GroupState, at: Date, previous: string[], lastSeq: number): Promise<void> {
    await addMemberships(this.m, groupId, state.participants, 'group', lastSeq);
    await this.m.Conversation.updateOne({ _id: groupId, kind: 'group' }, { $set: { ...state, lastActivityAt: at } });
    await removeMemberships(
      this.m,
      groupId,
      previous.filter((u) => !state.participants.includes(u)),
    );
  }

  /**
   * The members of each group, one _id lookup per group (a batch names a few): FerretDB v1 answers `$in`
   * by scanning the whole collection (see MessageStore.findByIds), an _id equality from its index.
   */
  async membersOf(groupIds: string[]): Promise<Map<string, string[]>> {
    const valid = [...new Set(groupIds)].filter((g) => Types.ObjectId.isValid(g));
    const docs = await Promise.all(
      valid.map((g) =>
        this.m.Conversation.findOne({ _id: new Types.ObjectId(g), kind: 'group' })
          .select({ participants: 1 })
          .lean<Pick<ConversationDoc, '_id' | 'participants'>>(),
      ),
    );
    return new Map(docs.filter((d) => d !== null).map((d) => [String(d._id), d.participants]));
  }

  /** The user's groups; a row written just before the state that makes the user a member is left out. */
  async listForUser(userId: string, page: { limit: number; offset: number }): Promise<MemberRoom[]> {
    return (await roomsOf(this.m, userId, 'group', page)).filter((g) => g.participants.includes(userId));
  }

  /** What the group rules need of the users a command would put in a group (see joinersOf). */
  joiners(actorId: string, listed: string[], opts: { groupCap: number; withActor: boolean }): Promise<Map<string, Joiner>> {
    return joinersOf(this.m, actorId, listed, opts);
  }

  async getInvite(inviteId: string): Promise<InviteDoc | null> {
    if (!Types.ObjectId.isValid(inviteId)) return null;
    return this.m.Invite.findById(inviteId).lean<InviteDoc>();
  }

  /** The user's invites still waiting for an answer, newest first. */
  async pendingInvites(userId: string, page: { limit: number; offset: number }): Promise<InviteDoc[]> {
    return this.m.Invite.find({ inviteeId: userId, status: 'pending' })
      .sort({ createdAt: -1 })
      .skip(page.offset)
      .limit(page.limit)
      .batchSize(page.limit)
      .lean<InviteDoc[]>();
  }

  /** Records an invite under the id the edge chose; a repeat is harmless. */
  async createInvite(invite: { id: string; groupId: string; inviterId: string; inviteeId: string; at: Date }): Promise<void> {
    try {
      await this.m.Invite.insertMany(
        [
          {
            _id: new Types.ObjectId(invite.id),
            groupId: invite.groupId,
            inviterId: invite.inviterId,
            inviteeId: invite.inviteeId,
            status: 'pending',
            createdAt: invite.at,
          },
        ],
        { lean: true },
      );
    } catch (err) {
      if ((err as { code?: number }).code !== DUPLICATE_KEY) throw err;
    }
  }

  async answerInvite(inviteId: string, status: 'accepted' | 'declined', at: Date): Promise<void> {
    await this.m.Invite.updateOne({ _id: new Types.ObjectId(inviteId) }, { $set: { status, respondedAt: at } });
  }
}
