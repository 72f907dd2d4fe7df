import type { ReceiptCommand } from '@chat/contracts';

export interface ReceiptStore {
  advanceStatus(receiverId: string, ids: string[], status: 'delivered' | 'read', at: Date): Promise<number>;
  advanceCursor(roomId: string, userId: string, kind: 'delivered' | 'read', seq: number): Promise<void>;
}

/**
 * Applies a batch of delivered/read receipts with one write per (user, room, kind) instead of one per
 * message. Status and cursors only move forward, so replaying a receipt changes nothing.
 */
export class ApplyReceiptsUseCase {
  constructor(private readonly store: ReceiptStore) {}

  async execute(receipts: ReceiptCommand[]): Promise<{ changed: number }> {
    const groups = new Map<string, { r: ReceiptCommand; ids: Set<string>; upTo: number; at: Date }>();
    for (const r of receipts) {
      const key = `${r.userId}|${r.roomId}|${r.kind}`;
      const g = groups.get(key) ?? { r, ids: new Set<string>(), upTo: 0, at: new Date(r.at) };
      r.messageIds.forEach((id) => g.ids.add(id));
      g.upTo = Math.max(g.upTo, r.upToSeq ?? 0);
      groups.set(key, g);
    }
    let changed = 0;
    await Promise.all(
      [...groups.values()].map(async ({ r, ids, upTo, at }) => {
        changed += await this.store.advanceStatus(r.userId, [...ids], r.kind, at);
        if (upTo > 0) await this.store.advanceCursor(r.roomId, r.userId, r.kind, upTo);
      }),
    );
    return { changed };
  }
}
