import type { ReportCommand } from '@chat/contracts';
import type { MessageDoc, NewReport, ReportSnapshot } from '@chat/store';
import { QUIET, type RoomOutcome } from '../room-outcome';

export interface ReportPort {
  findByIds(ids: string[]): Promise<MessageDoc[]>;
  /** Stores the report as open; a repeat changes nothing. */
  create(r: NewReport): Promise<void>;
}

/**
 * Stores a member's report with a snapshot of the message as it is at this point of the room's order
 * (after every edit before the report). Nobody is told: the operators read the open reports on /admin.
 */
export class ApplyReportUseCase {
  constructor(private readonly store: ReportPort) {}

  async execute(cmd: ReportCommand): Promise<RoomOutcome> {
    const [msg] = await this.store.findByIds([cmd.messageId]);
    await this.store.create({
      _id: cmd.reportId,
      roomId: cmd.roomId,
      messageId: cmd.messageId,
      reporterId: cmd.reporterId,
      reason: cmd.reason,
      snapshot: msg && msg.roomId === cmd.roomId ? snapshotOf(msg) : null,
      createdAt: new Date(cmd.requestedAt),
    });
    return QUIET;
  }
}

export function snapshotOf(m: MessageDoc): ReportSnapshot {
  return {
    senderId: m.senderId,
    seq: m.seq,
    content: m.deletedAt ? null : m.content,
    createdAt: m.createdAt,
    editedAt: m.editedAt ?? null,
    deleted: Boolean(m.deletedAt),
  };
}
