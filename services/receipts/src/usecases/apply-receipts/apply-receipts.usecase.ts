import type { DeliveryEnvelope, ReceiptCommand } from '@chat/contracts';
import { groupCounts, type CursorDoc, type CursorMove } from '@chat/store';

export interface CursorPort {
  advance(roomId: string, userId: string, kind: 'delivered' | 'read', seq: number, at: Date): Promise<CursorMove>;
}
export interface NotifyPort {
  deliver(envelopes: DeliveryEnvelope[]): Promise<number>;
}
/** For group receipts: the members and every member's cursor, to count how far the others got. */
export interface GroupCountsPort {
  membersOf(groupIds: string[]): Promise<Map<string, string[]>>;
  forRoom(roomId: string): Promise<Map<string, CursorDoc>>;
}

interface Group {
  r: ReceiptCommand;
  upTo: number;
  lastMessageId: string | null;
  at: Date;
}

/**
 * Applies a batch of delivered/read receipts as one cursor write per (user, room, kind), however many
 * messages they cover, and tells the other participant once per cursor that moved. Cursors only move
 * forward, so a repeated or late receipt changes nothing and notifies nobody.
 */
export class ApplyReceiptsUseCase {
  constructor(
    private readonly cursors: CursorPort,
    private readonly notify: NotifyPort,
    private readonly groups: GroupCountsPort,
  ) {}

  async execute(receipts: ReceiptCommand[]): Promise<CursorMove[]> {
    const groups = new Map<string, Group>();
    for (const r of receipts) {
      if (r.upToSeq === undefined) continue;
      const key = `${r.userId}|${r.roomId}|${r.kind}`;
      const g = groups.get(key) ?? { r, upTo: 0, lastMessageId: null, at: new Date(r.at) };
      if (r.upToSeq >= g.upTo) {
        g.upTo = r.upToSeq;
        g.lastMessageId = r.messageIds[r.messageIds.length - 1] ?? g.lastMessageId;
        g.r = r;
      }
      groups.set(key, g);
    }
    // one room's groups run in sequence (delivered before read), rooms in parallel
    const byRoom = new Map<string, Group[]>();
    for (const g of [...groups.values()].sort((a, b) => (a.r.kind === b.r.kind ? 0 : a.r.kind === 'delivered' ? -1 : 1))) {
      byRoom.set(g.r.roomId, [...(byRoom.get(g.r.roomId) ?? []), g]);
    }
    const applied = await Promise.all(
      [...byRoom.values()].map(async (list) => {
        const out: Array<{ g: Group; move: CursorMove }> = [];
        for (const g of list) out.push({ g, move: await this.cursors.advance(g.r.roomId, g.r.userId, g.r.kind, g.upTo, g.at) });
        return out;
      }),
    );
    const moved = applied.flat().filter(({ g, move }) => move.to > move.from && g.r.notifyUserId);
    const envelopes = moved.filter(({ g }) => !g.r.group).map(({ g, move }) => toEnvelope(g, move));
    envelopes.push(...(await this.groupEnvelopes(moved.filter(({ g }) => g.r.group))));
    if (envelopes.length > 0) await this.notify.deliver(envelopes);
    return applied.flat().map((a) => a.move);
  }

  /** One group_receipt per moved cursor, to every other member, with the counts for the message reached. */
  private async groupEnvelopes(moved: Array<{ g: Group; move: CursorMove }>): Promise<DeliveryEnvelope[]> {
    if (moved.length === 0) return [];
    const rooms = [...new Set(moved.map(({ move }) => move.roomId))];
    const members = await this.groups.membersOf(rooms);
    // one snapshot of each room's cursors, taken after this batch's writes
    const cursorsOf = new Map(await Promise.all(rooms.map(async (r) => [r, await this.groups.forRoom(r)] as const)));
    return Promise.all(
      moved.map(async ({ g, move }) => {
        const group = members.get(move.roomId) ?? [];
        const cursors = cursorsOf.get(move.roomId)!;
        const counts = groupCounts({ seq: move.to, senderId: g.r.notifyUserId! }, group, cursors);
        return {
          userIds: group.filter((u) => u !== move.userId),
          event: 'group_receipt' as const,
          correlationId: g.r.correlationId,
          payload: { groupId: move.roomId, messageId: g.lastMessageId, upToSeq: move.to, kind: move.kind, by: move.userId, at: move.at.toISOString(), counts },
        };
      }),
    );
  }
}

function toEnvelope(g: Group, move: CursorMove): DeliveryEnvelope {
  const at = move.at.toISOString();
  const common = { messageId: g.lastMessageId, roomId: move.roomId, upToSeq: move.to };
  return move.kind === 'delivered'
    ? { userId: g.r.notifyUserId!, event: 'message_delivered', correlationId: g.r.correlationId, payload: { ...common, deliveredBy: move.userId, deliveredAt: at } }
    : { userId: g.r.notifyUserId!, event: 'message_read_ack', correlationId: g.r.correlationId, payload: { ...common, readBy: move.userId, readAt: at } };
}
