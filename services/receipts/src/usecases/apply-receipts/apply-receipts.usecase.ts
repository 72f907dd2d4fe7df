import type { ReceiptCommand } from '@chat/contracts';
import type { CursorMove } from '@chat/store';

export interface CursorPort {
  advance(roomId: string, userId: string, kind: 'delivered' | 'read', seq: number, at: Date): Promise<CursorMove>;
}

/**
 * Applies a batch of delivered/read receipts as one cursor write per (user, room, kind), however many
 * messages they cover. Cursors only move forward, so a repeated or late receipt changes nothing and
 * reports no move.
 */
export class ApplyReceiptsUseCase {
  constructor(private readonly cursors: CursorPort) {}

  async execute(receipts: ReceiptCommand[]): Promise<CursorMove[]> {
    const groups = new Map<string, { r: ReceiptCommand; upTo: number; at: Date }>();
    for (const r of receipts) {
      if (r.upToSeq === undefined) continue;
      const key = `${r.userId}|${r.roomId}|${r.kind}`;
      const g = groups.get(key) ?? { r, upTo: 0, at: new Date(r.at) };
      g.upTo = Math.max(g.upTo, r.upToSeq);
      groups.set(key, g);
    }
    // one room's groups run in sequence (delivered before read), rooms in parallel
    const byRoom = new Map<string, Array<{ r: ReceiptCommand; upTo: number; at: Date }>>();
    for (const g of groups.values()) byRoom.set(g.r.roomId, [...(byRoom.get(g.r.roomId) ?? []), g]);
    const moves = await Promise.all(
      [...byRoom.values()].map(async (list) => {
        const out: CursorMove[] = [];
        for (const g of list) out.push(await this.cursors.advance(g.r.roomId, g.r.userId, g.r.kind, g.upTo, g.at));
        return out;
      }),
    );
    return moves.flat();
  }
}
