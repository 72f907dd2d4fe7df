import { randomUUID } from 'node:crypto';
import { partitionKey } from '@chat/broker';
import { Forbidden, NotFound, PARTITIONS, partitionOf, RoutingKeys, type ReceiptCommand } from '@chat/contracts';
import type { CommandBus, Conversations } from '../ports';

/** Marks everything in a room read up to its latest message: one receipt, one write, one event to the peer. */
export class MarkRoomReadUseCase {
  constructor(
    private readonly conversations: Conversations,
    private readonly bus: CommandBus,
    private readonly now: () => Date = () => new Date(),
  ) {}

  async execute(req: { userId: string; roomId: string; pathUserId: string; correlationId?: string }): Promise<{ roomId: string; upToSeq: number; status: 'read' }> {
    if (req.pathUserId !== req.userId) throw new Forbidden('userId is not the authenticated user');
    const c = await this.conversations.get(req.roomId);
    if (!c || !c.participants.includes(req.userId)) throw new NotFound('room not found');
    if (c.lastSeq > 0) {
      const cmd: ReceiptCommand = {
        type: RoutingKeys.receipt,
        correlationId: req.correlationId ?? randomUUID(),
        kind: 'read',
        userId: req.userId,
        roomId: req.roomId,
        messageIds: c.lastMessage ? [c.lastMessage.id] : [],
        upToSeq: c.lastSeq,
        notifyUserId: c.participants.find((p) => p !== req.userId),
        at: this.now().toISOString(),
      };
      await this.bus.publishConfirmed(partitionKey(RoutingKeys.receipt, partitionOf(req.roomId, PARTITIONS)), cmd, { correlationId: cmd.correlationId });
    }
    return { roomId: req.roomId, upToSeq: c.lastSeq, status: 'read' };
  }
}
