import type { Refusal } from './message-change';

/** What the report rule reads of the message. */
export interface ReportableMessage {
  senderId: string;
  seq: number;
  deletedAt?: Date | string | null;
}

/**
 * Whether a member may report this message: one of the room's messages the member can see (else 404, as
 * for any room), from someone else, not deleted. The room's worker stores it with the message as it is then.
 */
export function judgeReport(msg: ReportableMessage | null, reporterId: string, visibleFromSeq: number | null): Refusal | null {
  if (!msg || visibleFromSeq === null || msg.seq <= visibleFromSeq) return { code: 'NOT_FOUND', message: 'message not found' };
  if (msg.senderId === reporterId) return { code: 'VALIDATION_FAILED', message: 'you cannot report your own message' };
  if (msg.deletedAt) return { code: 'CONFLICT', message: 'a deleted message cannot be reported' };
  return null;
}

/** A report as the moderation rule reads it. */
export interface ReportState {
  status: 'open' | 'resolved';
  roomId: string;
  messageId: string;
}

/**
 * Whether an operator may act on this report: only an open one (an operator acting on a report another
 * already closed is told so). The room's worker applies the action; a repeat of an applied one changes nothing.
 */
export function judgeModeration(report: ReportState | null): Refusal | null {
  if (!report) return { code: 'NOT_FOUND', message: 'report not found' };
  if (report.status !== 'open') return { code: 'CONFLICT', message: 'the report is already resolved' };
  return null;
}
