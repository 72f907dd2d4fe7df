import { randomUUID } from 'node:crypto';
import { partitionKey } from '@chat/broker';
import { PARTITIONS, partitionOf, RoutingKeys, type MessageView, type ReceiptCommand } from '@chat/contracts';
import type { Logger } from '@chat/logging';
import type { CommandBus } from './usecases/ports';

/**
 * Collects the devices' acknowledgements of received messages and sends them to the receipts worker as
 * one command per (user, room) every flush interval, instead of one broker message per message.
 * A lost batch only means those messages are offered again on the next connect (the client de-duplicates).
 */
export class ReceiptBatcher {
  private pending = new Map<string, { userId: string; roomId: string; ids: string[]; upTo: number; notify?: string; group: boolean }>();
  private timer: NodeJS.Timeout | null = null;

  constructor(
    private readonly bus: CommandBus,
    private readonly log: Logger,
    private readonly flushMs = 100,
  ) {}

  delivered(userId: string, m: MessageView): void {
    if (m.seq === null) return;
    const key = `${userId}|${m.roomId}`;
    const g = this.pending.get(key) ?? { userId, roomId: m.roomId, ids: [], upTo: 0, group: Boolean(m.groupId) };
    g.ids.push(m.id);
    if (m.seq >= g.upTo) {
      g.upTo = m.seq;
      // the sender of the newest message hears "delivered" (its ticks turn ✓✓), as with an explicit receipt
      g.notify = m.senderId !== userId ? m.senderId : g.notify;
    }
    this.pending.set(key, g);
    if (g.ids.length >= 500) void this.flush();
    else if (!this.timer) this.timer = setTimeout(() => void this.flush(), this.flushMs);
  }

  async flush(): Promise<void> {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    const groups = [...this.pending.values()];
    this.pending = new Map();
    const at = new Date().toISOString();
    await Promise.all(
      groups.map(async (g) => {
        const cmd: ReceiptCommand = {
          type: RoutingKeys.receipt,
          correlationId: randomUUID(),
          kind: 'delivered',
          userId: g.userId,
          roomId: g.roomId,
          messageIds: g.ids,
          upToSeq: g.upTo,
          ...(g.notify ? { notifyUserId: g.notify } : {}),
          ...(g.group ? { group: true } : {}),
          at,
        };
        try {
          await this.bus.publishConfirmed(partitionKey(RoutingKeys.receipt, partitionOf(g.roomId, PARTITIONS)), cmd, { correlationId: cmd.correlationId });
        } catch (err) {
          this.log.warn({ err: (err as Error).message, userId: g.userId, roomId: g.roomId }, 'delivery receipts not published');
        }
      }),
    );
  }
}
