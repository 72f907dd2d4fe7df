import { randomUUID } from 'node:crypto';
import { Forbidden, NotFound, RoutingKeys, type ReceiptCommand } from '@chat/contracts';
import type { CommandBus, Conversations } from '../ports';

/**
 * Marks everything in a room read up to its latest message: one receipt, one write, one event to the peer
 * (in a group, one group_receipt to each member whose messages the read passed).
 */
export class MarkRoomReadUseCase {
  constructor(
    private readonly conversations: Conversations,
    private readonly bus: CommandBus,
    private readonly now: () => Date = () => new Date(),
  ) {}

  async execute(req: {
    userId: string;
    roomId: string;
    pathUserId: string;
    correlationId?: string;
  }): Promise<{ roomId: string; upToSeq: number; status: 'read' }> {
    if (req.pathUserId !== req.userId) throw new Forbidden('userId is not the authenticated user');
    const c = await this.conversations.get(req.roomId, { withTail: true });
    if (!c || !c.participants.includes(req.userId)) throw new NotFound('room not found');
    // the last message, not lastSeq: an edit or delete takes a seq of its own, and no message carries it
    const last = c.lastMessage;
    if (!last) return { roomId: req.roomId, upToSeq: 0, status: 'read' };
    const group = c.kind === 'group';
    const cmd: ReceiptCommand = {
      type: RoutingKeys.receipt,
      correlationId: req.correlationId ?? randomUUID(),
      kind: 'read',
      userId: req.userId,
      roomId: req.roomId,
      messageIds: [last.id],
      upToSeq: last.seq,
      // one-to-one: the peer; a group's receipts worker finds the senders itself (set for workers before it did)
      notifyUserId: group ? last.senderId : c.participants.find((p) => p !== req.userId),
      ...(group ? { group: true } : {}),
      at: this.now().toISOString(),
    };
    await this.bus.publishConfirmed(this.bus.route(RoutingKeys.receipt, req.roomId), cmd, { correlationId: cmd.correlationId });
    return { roomId: req.roomId, upToSeq: last.seq, status: 'read' };
  }
}
