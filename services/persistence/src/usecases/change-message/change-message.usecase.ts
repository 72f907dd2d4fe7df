import { RoutingKeys, type MessageChangedEvent } from '@chat/contracts';
import { judgeChange, type ChangeCommand } from '@chat/domain';
import type { MessageDoc } from '@chat/store';

export interface ChangeStore {
  findByIds(ids: string[]): Promise<MessageDoc[]>;
  applyEdit(messageId: string, content: string, at: Date, changedSeq?: number): Promise<void>;
  applyDelete(messageId: string, at: Date, changedSeq?: number): Promise<void>;
  updateLastMessage(roomId: string, messageId: string, patch: { content: string | null; deleted?: boolean }): Promise<void>;
  /** The group's current members (a group message may be changed only by a sender who is still one). */
  groupMembers(groupId: string): Promise<string[]>;
  /** Takes the message off the room's pins; whether it was pinned. */
  unpin(roomId: string, messageId: string): Promise<boolean>;
}

/** Applies one edit or delete and says what happened, for the actor and the other participant. */
export class ChangeMessageUseCase {
  constructor(
    private readonly store: ChangeStore,
    private readonly editWindowMs: number,
    /** The room seq the change takes (StoreMessagesUseCase.stampChange): catch-ups find missed changes by it. */
    private readonly stamp: (roomId: string) => Promise<number | null> = async () => null,
  ) {}

  async execute(cmd: ChangeCommand): Promise<MessageChangedEvent> {
    const [msg] = await this.store.findByIds([cmd.messageId]);
    const members = msg?.groupId ? await this.store.groupMembers(msg.groupId) : [];
    const change = cmd.type === RoutingKeys.messageEdit ? 'edited' : 'deleted';
    const base = {
      type: RoutingKeys.messageChanged,
      correlationId: cmd.correlationId,
      change,
      messageId: cmd.messageId,
      roomId: cmd.roomId,
      actorId: cmd.actorId,
    } as const;
    const refusal = judgeChange(msg, cmd, this.editWindowMs, members);
    if (refusal || !msg)
      return { ...base, peerId: null, outcome: 'refused', error: refusal ?? { code: 'NOT_FOUND', message: 'message not found' } };

    if (cmd.type === RoutingKeys.messageEdit) {
      await this.store.applyEdit(cmd.messageId, cmd.content, new Date(cmd.requestedAt), (await this.stamp(cmd.roomId)) ?? undefined);
      await this.store.updateLastMessage(cmd.roomId, cmd.messageId, { content: cmd.content });
      return { ...base, ...audience(msg), outcome: 'applied', content: cmd.content, editedAt: cmd.requestedAt };
    }
    const deletedAt = msg.deletedAt ? new Date(msg.deletedAt).toISOString() : cmd.requestedAt;
    if (!msg.deletedAt) {
      await this.store.applyDelete(cmd.messageId, new Date(deletedAt), (await this.stamp(cmd.roomId)) ?? undefined);
      await this.store.updateLastMessage(cmd.roomId, cmd.messageId, { content: null, deleted: true });
    }
    // a deleted message is never pinned (also on a repeat: a crash may have come between the two writes)
    const unpinned = await this.store.unpin(cmd.roomId, cmd.messageId);
    return { ...base, ...audience(msg), outcome: 'applied', deletedAt, ...(unpinned ? { unpinned } : {}) };
  }
}

/** Who sees the change: the other participant, or for a group message the group's members. */
function audience(msg: MessageDoc): { peerId: string | null; groupId?: string } {
  return msg.groupId ? { peerId: null, groupId: msg.groupId } : { peerId: msg.receiverId };
}
