import { randomUUID } from 'node:crypto';
import { AppError, Invalid, RoutingKeys, type ReportCommand } from '@chat/contracts';
import { judgeReport } from '@chat/domain';
import type { CommandBus, Conversations, Messages } from '../ports';

export interface ReportRequest {
  userId: string;
  messageId: string;
  reason: string;
  correlationId?: string;
}

export interface ReportAccepted {
  reportId: string;
  messageId: string;
  status: 'accepted';
}

/**
 * A member reports a message of the room: judged here on the stored message (`judgeReport`: one of the
 * room's messages the member can see, from someone else, not deleted), then sent through the room's
 * ordered queue, whose worker stores it with a snapshot of the message as it is at that point. One report
 * per member and message: reporting again names the same report and changes nothing.
 */
export class ReportMessageUseCase {
  constructor(
    private readonly messages: Pick<Messages, 'findByIds'>,
    private readonly conversations: Pick<Conversations, 'scopeFor'>,
    private readonly bus: CommandBus,
    private readonly reportIdFor: (reporterId: string, messageId: string) => string,
    private readonly now: () => Date = () => new Date(),
    /** Tells the webhook receivers of a report the room's queue took (report.created). */
    private readonly announce: (cmd: ReportCommand) => Promise<void> = async () => undefined,
  ) {}

  async execute(req: ReportRequest): Promise<ReportAccepted> {
    if (req.reason.trim().length === 0) throw new Invalid('reason must not be blank');
    const [msg] = await this.messages.findByIds([req.messageId]);
    const scope = msg ? await this.conversations.scopeFor(msg.roomId, req.userId) : null;
    const refusal = judgeReport(msg ?? null, req.userId, scope ? scope.fromSeq : null);
    if (refusal || !msg) throw new AppError(refusal?.code ?? 'NOT_FOUND', refusal?.message ?? 'message not found');
    const cmd: ReportCommand = {
      type: RoutingKeys.messageReport,
      correlationId: req.correlationId ?? randomUUID(),
      reportId: this.reportIdFor(req.userId, req.messageId),
      roomId: msg.roomId,
      messageId: req.messageId,
      reporterId: req.userId,
      reason: req.reason,
      requestedAt: this.now().toISOString(),
    };
    await this.bus.publishConfirmed(this.bus.route(cmd.type, cmd.roomId), cmd, { correlationId: cmd.correlationId });
    // the queue took it, so the worker stores it; a failure here fails the call, and reporting again names the same event
    await this.announce(cmd);
    return { reportId: cmd.reportId, messageId: req.messageId, status: 'accepted' };
  }
}
