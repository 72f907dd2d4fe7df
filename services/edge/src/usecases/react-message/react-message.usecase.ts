import { randomUUID } from 'node:crypto';
import { AppError, NotFound, RoutingKeys, type ReactionAccepted, type ReactMessageCommand } from '@chat/contracts';
import { judgeReaction } from '@chat/domain';
import type { MessageDoc } from '@chat/store';
import type { AcceptedLog, CommandBus, Conversations, Messages } from '../ports';
import { storedOrLanding } from '../read-your-writes';
import type { SenderLanes } from '../sender-lanes';

export interface ReactRequest {
  userId: string;
  messageId: string;
  emoji: string;
  on: boolean;
  correlationId?: string;
}

/**
 * Accepts a reaction of a room member to a message and sends it through the room's ordered queue, like an
 * edit: it applies after every send, edit and delete before it, so one that follows a delete is refused
 * there. What the rule (`judgeReaction`) already refuses against the stored message is refused here at
 * once; the persistence worker judges again when it applies it, and members then get message_reaction.
 */
export class ReactMessageUseCase {
  constructor(
    private readonly messages: Pick<Messages, 'findByIds'>,
    private readonly conversations: Pick<Conversations, 'scopeFor'>,
    private readonly accepted: AcceptedLog,
    private readonly bus: CommandBus,
    private readonly lanes: SenderLanes,
    private readonly options: { waitForStoreMs: number; now?: () => Date },
  ) {}

  execute(req: ReactRequest): Promise<ReactionAccepted> {
    return this.lanes.run(req.userId, (turn, handOver) => this.react(req, turn, handOver));
  }

  private async react(req: ReactRequest, turn: () => Promise<void>, handOver: () => void): Promise<ReactionAccepted> {
    const now = (this.options.now ?? (() => new Date()))();
    // in lane order: a send of this user that the reaction refers to is published before we look
    await turn();
    const msg = await this.lookup(req.messageId, req.userId);
    const scope = msg ? await this.conversations.scopeFor(msg.roomId, req.userId) : null;
    // a group's messages from before the user joined are not the user's to see
    if (!msg || !scope || (scope.fromSeq > 0 && msg.seq <= scope.fromSeq)) throw new NotFound('message not found');
    const cmd: ReactMessageCommand = {
      type: RoutingKeys.messageReact,
      correlationId: req.correlationId ?? randomUUID(),
      messageId: req.messageId,
      roomId: msg.roomId,
      actorId: req.userId,
      emoji: req.emoji,
      on: req.on,
      requestedAt: now.toISOString(),
    };
    const refusal = judgeReaction(msg, cmd, scope.participants);
    if (refusal) throw new AppError(refusal.code, refusal.message);
    const confirmed = this.bus.publishConfirmed(this.bus.route(cmd.type, msg.roomId), cmd, { correlationId: cmd.correlationId });
    handOver();
    await confirmed;
    return { messageId: req.messageId, roomId: msg.roomId, emoji: req.emoji, on: req.on, status: 'accepted' };
  }

  /** The stored message, or, if this user just sent it and it is still in flight, the stored one once it lands. */
  private lookup(messageId: string, userId: string): Promise<MessageDoc | null> {
    return storedOrLanding(
      async () => (await this.messages.findByIds([messageId]))[0] ?? null,
      this.accepted,
      messageId,
      userId,
      this.options.waitForStoreMs,
    );
  }
}
