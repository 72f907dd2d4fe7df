import { RoutingKeys, type MessageChangedEvent, type ModerateCommand } from '@chat/contracts';
import type { MessageDoc, ReportDoc } from '@chat/store';
import { QUIET, type RoomOutcome } from '../room-outcome';

export interface ModerationPort {
  getReport(reportId: string): Promise<ReportDoc | null>;
  /** Closes the report if open. */
  resolve(reportId: string, outcome: 'kept' | 'deleted', by: string, at: Date): Promise<boolean>;
  /** Closes every open report of the message. */
  resolveAllFor(messageId: string, outcome: 'kept' | 'deleted', by: string, at: Date): Promise<number>;
  findByIds(ids: string[]): Promise<MessageDoc[]>;
  applyDelete(messageId: string, at: Date, changedSeq: number | undefined, by: 'moderator'): Promise<void>;
  updateLastMessage(roomId: string, messageId: string, patch: { content: string | null; deleted?: boolean }): Promise<void>;
  /** Takes the message off the room's pins; whether it was pinned. */
  unpin(roomId: string, messageId: string): Promise<boolean>;
}

/**
 * Applies an operator's decision on a report in the room's order. `resolve` closes the report and keeps
 * the message. `delete` erases the message as a sender's delete does (a tombstone, the room's summary, its
 * pin) but marked `deletedBy: 'moderator'`, closes every open report of it, and tells every member, the
 * sender included. The first decision on a report counts: a later one finds it closed and changes nothing,
 * except a repeated delete, which is told again (a redelivered command whose event was lost).
 */
export class ModerateMessageUseCase {
  constructor(
    private readonly store: ModerationPort,
    /** The room seq the delete takes (StoreMessagesUseCase.stampChange): catch-ups find it by that. */
    private readonly stamp: (roomId: string) => Promise<number | null> = async () => null,
  ) {}

  async execute(cmd: ModerateCommand): Promise<RoomOutcome> {
    const at = new Date(cmd.requestedAt);
    const report = await this.store.getReport(cmd.reportId);
    if (!report || report.roomId !== cmd.roomId || report.messageId !== cmd.messageId) return QUIET;
    if (cmd.action === 'resolve') {
      await this.store.resolve(cmd.reportId, 'kept', cmd.operatorId, at);
      return QUIET;
    }
    if (report.status === 'resolved' && report.outcome !== 'deleted') return QUIET;
    const [msg] = await this.store.findByIds([cmd.messageId]);
    // gone, or its sender deleted it first: nothing left to erase or tell
    if (!msg || msg.roomId !== cmd.roomId || (msg.deletedAt && msg.deletedBy !== 'moderator')) {
      await this.store.resolveAllFor(cmd.messageId, 'deleted', cmd.operatorId, at);
      return QUIET;
    }
    const deletedAt = msg.deletedAt ? new Date(msg.deletedAt).toISOString() : cmd.requestedAt;
    if (!msg.deletedAt) {
      await this.store.applyDelete(cmd.messageId, at, (await this.stamp(cmd.roomId)) ?? undefined, 'moderator');
      await this.store.updateLastMessage(cmd.roomId, cmd.messageId, { content: null, deleted: true });
    }
    const unpinned = await this.store.unpin(cmd.roomId, cmd.messageId);
    await this.store.resolveAllFor(cmd.messageId, 'deleted', cmd.operatorId, at);
    const event: MessageChangedEvent = {
      type: RoutingKeys.messageChanged,
      correlationId: cmd.correlationId,
      change: 'deleted',
      messageId: cmd.messageId,
      roomId: cmd.roomId,
      actorId: cmd.operatorId,
      senderId: msg.senderId,
      peerId: msg.groupId ? null : msg.receiverId,
      ...(msg.groupId ? { groupId: msg.groupId } : {}),
      outcome: 'applied',
      deletedAt,
      deletedBy: 'moderator',
      ...(unpinned ? { unpinned } : {}),
    };
    return event;
  }
}
