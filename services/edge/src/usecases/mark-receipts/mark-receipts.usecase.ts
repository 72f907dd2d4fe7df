import { randomUUID } from 'node:crypto';
import { partitionKey } from '@chat/broker';
import { Forbidden, NotFound, PARTITIONS, partitionOf, RoutingKeys, type ReceiptCommand } from '@chat/contracts';
import type { MessageDoc } from '@chat/store';
import type { CommandBus, Messages } from '../ports';

export interface ReceiptRequest {
  userId: string;
  kind: 'delivered' | 'read';
  messageIds: string[];
  correlationId?: string;
}

/**
 * Marks messages delivered or read. Every message must exist for the caller and have been received by
 * the caller; that is checked before anything is written. One receipt per room goes to the receipts
 * worker, covering up to the highest seq named (receipts are cumulative per room).
 */
export class MarkReceiptsUseCase {
  constructor(
    private readonly messages: Messages,
    private readonly bus: CommandBus,
    private readonly now: () => Date = () => new Date(),
  ) {}

  async execute(req: ReceiptRequest): Promise<{ messageIds: string[]; status: 'delivered' | 'read' }> {
    const ids = [...new Set(req.messageIds)];
    const found = await this.messages.findVisibleTo(req.userId, ids);
    if (found.length < ids.length) throw new NotFound('message not found');
    if (found.some((m) => m.receiverId !== req.userId)) throw new Forbidden(`only the receiver may mark a message ${req.kind}`);

    const byRoom = new Map<string, MessageDoc[]>();
    for (const m of found) byRoom.set(m.roomId, [...(byRoom.get(m.roomId) ?? []), m]);
    const at = this.now().toISOString();
    await Promise.all(
      [...byRoom].map(([roomId, list]) => {
        const sorted = list.sort((a, b) => a.seq - b.seq);
        const cmd: ReceiptCommand = {
          type: RoutingKeys.receipt,
          correlationId: req.correlationId ?? randomUUID(),
          kind: req.kind,
          userId: req.userId,
          roomId,
          messageIds: sorted.map((m) => String(m._id)),
          upToSeq: sorted[sorted.length - 1].seq,
          notifyUserId: sorted[0].senderId,
          at,
        };
        return this.bus.publishConfirmed(partitionKey(RoutingKeys.receipt, partitionOf(roomId, PARTITIONS)), cmd, { correlationId: cmd.correlationId });
      }),
    );
    return { messageIds: ids, status: req.kind };
  }
}
