import { randomUUID } from 'node:crypto';
import {
  AppError,
  Forbidden,
  Invalid,
  messageIdFor,
  NotFound,
  RoutingKeys,
  type MessageView,
  type ReplyRef,
  type SendMessageCommand,
  type SendMessageDto,
} from '@chat/contracts';
import { judgeReplyTarget, judgeSend, replyExcerpt } from '@chat/domain';
import { NO_BLOCKS, type AcceptedLog, type BlockCheck, type CommandBus, type Conversations, type Messages } from '../ports';
import type { SenderLanes } from '../sender-lanes';

export interface SendMessageInput {
  userId: string;
  /** For a group message receiverId is the group's id (roomId too) and mentions name members. */
  dto: SendMessageDto & { senderId?: string; mentions?: string[] };
  correlationId?: string;
}

/**
 * Accepts a message: checks the sender is the token's user and a participant of the room with the
 * receiver, then publishes it with a broker confirm. The answer is given only after the confirm, so an
 * acknowledged message is in a durable queue. A resend (same clientMsgId) gets the first message back
 * and publishes nothing new; should it race the first, the same derived id makes the store keep one.
 *
 * A sender's messages are published in the order they arrived at this edge, even when their checks
 * finish out of order (a cold membership cache, a slow store): see SenderLanes.
 */
export class SendMessageUseCase {
  constructor(
    private readonly conversations: Conversations,
    private readonly bus: CommandBus,
    private readonly accepted: AcceptedLog,
    private readonly lanes: SenderLanes,
    private readonly now: () => Date = () => new Date(),
    /** Refuses new messages with BUSY while the store is behind (Admission); a resend of an accepted one still gets its answer. */
    private readonly admission: { check(): void } = { check: () => undefined },
    /** Where a reply finds the message it answers (one read, for replies only). */
    private readonly replies: Pick<Messages, 'findByIds'> = { findByIds: async () => [] },
    /** Whether the receiver blocks the sender, as this edge knows it; the room's worker judges again. */
    private readonly blocks: BlockCheck = NO_BLOCKS,
    /** This edge's id, kept with each message it accepts, and where its accepted stage is timed (its trace). */
    private readonly origin: { edgeId?: string; accepted?: (ms: number) => void } = {},
  ) {}

  execute(input: SendMessageInput): Promise<MessageView> {
    const started = performance.now();
    return this.lanes.run(input.userId, (turn, handOver) => this.send(input, turn, handOver, started));
  }

  private async send(
    { userId, dto, correlationId }: SendMessageInput,
    turn: () => Promise<void>,
    handOver: () => void,
    started: number,
  ): Promise<MessageView> {
    if (dto.senderId !== undefined && dto.senderId !== userId) throw new Forbidden('senderId is not the authenticated user');
    if (dto.receiverId === userId) throw new Invalid('receiverId must be another user');
    if (dto.content.trim().length === 0) throw new Invalid('content must not be blank');

    const scope = await this.conversations.scopeFor(dto.roomId, userId);
    if (!scope) throw new NotFound('room not found');
    const group = scope.kind === 'group';
    if (group && dto.receiverId !== dto.roomId) throw new Invalid('a group message goes to the group');
    if (!group && !scope.participants.includes(dto.receiverId)) throw new Forbidden('receiver is not in this room');
    if (!group && dto.mentions?.length) throw new Invalid('mentions are for group messages');
    const mentions = group ? [...new Set(dto.mentions ?? [])] : undefined;
    if (mentions?.some((u) => !scope.participants.includes(u))) throw new Invalid('only members can be mentioned');
    if (!group) {
      const receiverBlocks = await this.blocks.blocks(dto.receiverId, userId);
      const refusal = judgeSend({ senderId: userId, receiverId: dto.receiverId }, () => receiverBlocks);
      if (refusal) throw new AppError(refusal.code, refusal.message);
    }

    const id = messageIdFor(userId, dto.clientMsgId);
    if (dto.clientMsgId) {
      const first = await this.accepted.get(id);
      if (first) return first;
    }
    this.admission.check();
    const replyTo = dto.replyToId ? await this.replyTo(dto.replyToId, dto.roomId, scope.fromSeq) : undefined;
    const message: MessageView = {
      id,
      roomId: dto.roomId,
      senderId: userId,
      receiverId: dto.receiverId,
      content: dto.content,
      clientMsgId: dto.clientMsgId ?? null,
      seq: null,
      status: 'sent',
      createdAt: this.now().toISOString(),
      ...(group ? { groupId: dto.roomId, mentions } : {}),
      ...(replyTo ? { replyTo } : {}),
    };
    const { seq: _seq, status: _status, ...core } = message;
    const cmd: SendMessageCommand = {
      type: RoutingKeys.messageSend,
      correlationId: correlationId ?? randomUUID(),
      message: core,
      ...(this.origin.edgeId ? { acceptedBy: this.origin.edgeId } : {}),
    };
    await turn();
    const confirmed = this.bus.publishConfirmed(this.bus.route(RoutingKeys.messageSend, dto.roomId), cmd, {
      correlationId: cmd.correlationId,
    });
    handOver(); // the publish is queued on the channel in order; the next send may queue its own
    await confirmed;
    this.origin.accepted?.(performance.now() - started);
    return this.accepted.remember(message);
  }

  /**
   * What the reply shows of the message it answers: the stored one, or one just accepted and still on its
   * way to the store (the accepted log). Must be a message of the same room the sender can see, not deleted.
   */
  private async replyTo(id: string, roomId: string, fromSeq: number): Promise<ReplyRef> {
    const [stored] = await this.replies.findByIds([id]);
    const target = stored ?? (await this.accepted.get(id));
    const problem = judgeReplyTarget(target, roomId, fromSeq);
    if (problem || !target) throw new Invalid('replyToId is invalid', [{ field: 'replyToId', problems: [problem] }]);
    return { id, senderId: target.senderId, excerpt: replyExcerpt(target.content) };
  }
}
