import { randomUUID } from 'node:crypto';
import { AppError, RoutingKeys, type ModerateCommand } from '@chat/contracts';
import { judgeModeration } from '@chat/domain';
import type { ReportDoc } from '@chat/store';
import type { CommandBus } from '../ports';

export interface ReportReads {
  get(reportId: string): Promise<ReportDoc | null>;
  listOpen(limit: number): Promise<ReportDoc[]>;
}

/** A report as the operators' dashboard lists it. */
export interface ReportView {
  reportId: string;
  roomId: string;
  messageId: string;
  reporterId: string;
  reason: string;
  createdAt: string;
  status: 'open' | 'resolved';
  message: { senderId: string; seq: number; content: string | null; createdAt: string; editedAt: string | null; deleted: boolean } | null;
}

const iso = (d: Date | string | null | undefined) => (d ? new Date(d).toISOString() : null);

/**
 * The operators' side of reports (/admin): the open reports, oldest first, and a decision on one (keep the
 * message and close the report, or delete the message), sent through the room's ordered queue so the
 * delete is applied in order with the room's messages, as a sender's delete is.
 */
export class ModerationUseCase {
  constructor(
    private readonly reports: ReportReads,
    private readonly bus: CommandBus,
    private readonly now: () => Date = () => new Date(),
  ) {}

  async open(limit: number): Promise<{ reports: ReportView[] }> {
    return { reports: (await this.reports.listOpen(limit)).map(toReportView) };
  }

  async decide(
    operatorId: string,
    reportId: string,
    action: 'resolve' | 'delete',
  ): Promise<{ reportId: string; action: string; status: 'accepted' }> {
    const report = await this.reports.get(reportId);
    const refusal = judgeModeration(report);
    if (refusal || !report) throw new AppError(refusal?.code ?? 'NOT_FOUND', refusal?.message ?? 'report not found');
    const cmd: ModerateCommand = {
      type: RoutingKeys.messageModerate,
      correlationId: randomUUID(),
      reportId,
      roomId: report.roomId,
      messageId: report.messageId,
      operatorId,
      action,
      requestedAt: this.now().toISOString(),
    };
    await this.bus.publishConfirmed(this.bus.route(cmd.type, cmd.roomId), cmd, { correlationId: cmd.correlationId });
    return { reportId, action, status: 'accepted' };
  }
}

function toReportView(r: ReportDoc): ReportView {
  const s = r.snapshot;
  return {
    reportId: r._id,
    roomId: r.roomId,
    messageId: r.messageId,
    reporterId: r.reporterId,
    reason: r.reason,
    createdAt: iso(r.createdAt)!,
    status: r.status,
    message: s
      ? {
          senderId: s.senderId,
          seq: s.seq,
          content: s.content,
          createdAt: iso(s.createdAt)!,
          editedAt: iso(s.editedAt),
          deleted: s.deleted,
        }
      : null,
  };
}
