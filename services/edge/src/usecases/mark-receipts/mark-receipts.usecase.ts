import { randomUUID } from 'node:crypto';
import { Forbidden, NotFound, RoutingKeys, type ReceiptCommand } from '@chat/contracts';
import type { MessageDoc } from '@chat/store';
import type { CommandBus, Conversations, Messages } from '../ports';
import { mapBounded } from '../bounded';

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
    private readonly conversations: Conversations,
    private readonly bus: CommandBus,
    private readonly now: () => Date = () => new Date(),
  ) {}

  async execute(req: ReceiptRequest): Promise<{ messageIds: string[]; status: 'delivered' | 'read' }> {
    const ids = [...new Set(req.messageIds)];
    const found = await this.visible(req.userId, ids);
    if (found.length < ids.length) throw new NotFound('message not found');
    // one-to-one: only the receiver; group: any member but the sender
    const mayMark = (m: MessageDoc) => (m.groupId ? m.senderId !== req.userId : m.receiverId === req.userId);
    if (!found.every(mayMark)) throw new Forbidden(`only the receiver may mark a message ${req.kind}`);

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
          notifyUserId: sorted[sorted.length - 1].senderId,
          ...(sorted[0].groupId ? { group: true } : {}),
          at,
        };
        return this.bus.publishConfirmed(this.bus.route(RoutingKeys.receipt, roomId), cmd, { correlationId: cmd.correlationId });
      }),
    );
    return { messageIds: ids, status: req.kind };
  }

  /**
   * The messages the user may see: one-to-one ones they sent or received, group ones in a group they are
   * in. Group membership is read once per group involved, and only when a group message is named.
   */
  private async visible(userId: string, ids: string[]): Promise<MessageDoc[]> {
    const docs = await this.messages.findByIds(ids);
    const groupRooms = [...new Set(docs.filter((m) => m.groupId).map((m) => m.roomId))];
    const member = new Set<string>();
    await mapBounded(groupRooms, async (r) => (await this.conversations.scopeFor(r, userId)) && member.add(r));
    return docs.filter((m) => (m.groupId ? member.has(m.roomId) : m.senderId === userId || m.receiverId === userId));
  }
}
