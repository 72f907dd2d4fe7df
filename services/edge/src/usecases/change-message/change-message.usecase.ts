import { randomUUID } from 'node:crypto';
import { AppError, Forbidden, RoutingKeys, type DeleteMessageCommand, type EditMessageCommand } from '@chat/contracts';
import { judgeChange } from '@chat/domain';
import type { MessageDoc } from '@chat/store';
import type { AcceptedLog, CommandBus, Conversations, Messages } from '../ports';
import { storedOrLanding } from '../read-your-writes';
import type { SenderLanes } from '../sender-lanes';

export type ChangeRequest =
  | { kind: 'edit'; userId: string; messageId: string; content: string; claimedUserId?: string; correlationId?: string }
  | { kind: 'delete'; userId: string; messageId: string; claimedUserId?: string; correlationId?: string };

export interface ChangeAccepted {
  messageId: string;
  roomId: string;
  status: 'accepted';
}

/**
 * Accepts an edit or a soft delete of one's own message and sends it through the room's ordered queue,
 * so it applies after the message and after any earlier change. Refuses at once what the rule
 * (`judgeChange`) already refuses against the stored message; the persistence worker judges again with the
 * same rule when it applies the change, and the outcome reaches the actor as
 * edit_message_status / delete_message_status.
 * A change to a message still on its way to the store waits for it (a send then an immediate edit).
 */
export class ChangeMessageUseCase {
  constructor(
    private readonly messages: Messages,
    private readonly conversations: Pick<Conversations, 'scopeFor'>,
    private readonly accepted: AcceptedLog,
    private readonly bus: CommandBus,
    private readonly lanes: SenderLanes,
    private readonly options: { editWindowMs: number; waitForStoreMs: number; now?: () => Date },
  ) {}

  execute(req: ChangeRequest): Promise<ChangeAccepted> {
    return this.lanes.run(req.userId, (turn, handOver) => this.change(req, turn, handOver));
  }

  private async change(req: ChangeRequest, turn: () => Promise<void>, handOver: () => void): Promise<ChangeAccepted> {
    if (req.claimedUserId !== undefined && req.claimedUserId !== req.userId)
      throw new Forbidden('senderId/requesterId is not the authenticated user');
    const now = (this.options.now ?? (() => new Date()))();
    // in lane order: the send this change refers to, and earlier changes, are published before we look
    await turn();
    const msg = await this.lookup(req.messageId, req.userId);
    const common = {
      correlationId: req.correlationId ?? randomUUID(),
      messageId: req.messageId,
      roomId: msg?.roomId ?? '',
      actorId: req.userId,
      requestedAt: now.toISOString(),
    };
    const cmd: EditMessageCommand | DeleteMessageCommand =
      req.kind === 'edit'
        ? { type: RoutingKeys.messageEdit, ...common, content: req.content }
        : { type: RoutingKeys.messageDelete, ...common };
    // a group message only while its sender is still a member (read fresh: membership changes)
    const member = msg?.groupId && (await this.conversations.scopeFor(msg.roomId, req.userId)) ? [req.userId] : [];
    const refusal = judgeChange(msg, cmd, this.options.editWindowMs, member);
    if (refusal || !msg) throw new AppError(refusal?.code ?? 'NOT_FOUND', refusal?.message ?? 'message not found');
    const confirmed = this.bus.publishConfirmed(this.bus.route(cmd.type, msg.roomId), cmd, { correlationId: common.correlationId });
    handOver();
    await confirmed;
    return { messageId: req.messageId, roomId: msg.roomId, status: 'accepted' };
  }

  /** The stored message, or, if this user just sent it and it is still in flight, the stored one once it lands. */
  private lookup(messageId: string, userId: string): Promise<MessageDoc | null> {
    return storedOrLanding(
      () => this.messages.findForParticipant(messageId, userId),
      this.accepted,
      messageId,
      userId,
      this.options.waitForStoreMs,
    );
  }
}
