import { envelope, ServerEvents, type DeliveryEnvelope, type ReceiptCommand } from '@chat/contracts';
import { groupCounts, type CursorDoc, type CursorMove } from '@chat/store';

export interface CursorPort {
  advance(roomId: string, userId: string, kind: 'delivered' | 'read', seq: number, at: Date): Promise<CursorMove>;
}
export interface NotifyPort {
  deliver(envelopes: DeliveryEnvelope[]): Promise<unknown>;
}
/** For group receipts: the members, every member's cursor, and who wrote the messages a move covers. */
export interface GroupCountsPort {
  membersOf(groupIds: string[]): Promise<Map<string, string[]>>;
  forRoom(roomId: string): Promise<Map<string, CursorDoc>>;
  /** The newest `limit` messages with seq in (afterSeq, uptoSeq], newest first (MessageStore.sendersBetween). */
  sendersBetween(
    roomId: string,
    afterSeq: number,
    uptoSeq: number,
    limit: number,
  ): Promise<Array<{ id: string; seq: number; senderId: string }>>;
}

/**
 * Most messages one batch's moves in a room are checked for senders, newest first. A member catching up
 * on a longer backlog tells the senders of its newest messages; the others see the counts in history.
 */
const MAX_MESSAGES_PASSED = 1000;

/** The receipts of one batch for one (user, room, kind), merged: the cursor goes to the highest seq they reach. */
interface MergedReceipt {
  /** The receipt that reached furthest (its ids, correlation and who to tell). */
  r: ReceiptCommand;
  upTo: number;
  lastMessageId: string | null;
  at: Date;
}

/** A cursor write, with the newest message the receipt that made it named (null: it named none). */
export type AppliedMove = CursorMove & { messageId: string | null };

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

  async execute(receipts: ReceiptCommand[]): Promise<AppliedMove[]> {
    const merged = new Map<string, MergedReceipt>();
    for (const r of receipts) {
      if (r.upToSeq === undefined) continue;
      const key = `${r.userId}|${r.roomId}|${r.kind}`;
      const receipt = merged.get(key) ?? { r, upTo: 0, lastMessageId: null, at: new Date(r.at) };
      if (r.upToSeq >= receipt.upTo) {
        receipt.upTo = r.upToSeq;
        receipt.lastMessageId = r.messageIds[r.messageIds.length - 1] ?? receipt.lastMessageId;
        receipt.r = r;
      }
      merged.set(key, receipt);
    }
    // one room's merged receipts run in sequence (delivered before read), rooms in parallel
    const byRoom = new Map<string, MergedReceipt[]>();
    for (const receipt of [...merged.values()].sort((a, b) => (a.r.kind === b.r.kind ? 0 : a.r.kind === 'delivered' ? -1 : 1))) {
      byRoom.set(receipt.r.roomId, [...(byRoom.get(receipt.r.roomId) ?? []), receipt]);
    }
    const applied = await Promise.all(
      [...byRoom.values()].map(async (list) => {
        const out: Array<{ receipt: MergedReceipt; move: CursorMove }> = [];
        for (const receipt of list)
          out.push({
            receipt,
            move: await this.cursors.advance(receipt.r.roomId, receipt.r.userId, receipt.r.kind, receipt.upTo, receipt.at),
          });
        return out;
      }),
    );
    const moved = applied.flat().filter(({ receipt, move }) => move.to > move.from && receipt.r.notifyUserId);
    const envelopes = moved.filter(({ receipt }) => !receipt.r.group).map(({ receipt, move }) => toEnvelope(receipt, move));
    envelopes.push(...(await this.groupEnvelopes(moved.filter(({ receipt }) => receipt.r.group))));
    if (envelopes.length > 0) await this.notify.deliver(envelopes);
    return applied.flat().map(({ receipt, move }) => ({ ...move, messageId: receipt.lastMessageId }));
  }

  /**
   * A moved cursor in a group concerns the senders of the messages it passed, not every member: each of
   * them gets one group_receipt naming their last message the move reached, with its counts, and the range
   * (fromSeq, upToSeq] so a client can count the member in for each of its messages there. Telling every
   * member would cost members² emits per message in a large group (each member's receipt to all others).
   * One read of the senders per room covers all of the batch's moves there.
   */
  private async groupEnvelopes(moved: Array<{ receipt: MergedReceipt; move: CursorMove }>): Promise<DeliveryEnvelope[]> {
    if (moved.length === 0) return [];
    const rooms = [...new Set(moved.map(({ move }) => move.roomId))];
    const members = await this.groups.membersOf(rooms);
    // after this batch's writes: one snapshot of each room's cursors, and the messages its moves passed
    const [cursorsOf, writtenIn] = await Promise.all([
      Promise.all(rooms.map(async (r) => [r, await this.groups.forRoom(r)] as const)).then((e) => new Map(e)),
      Promise.all(
        rooms.map(async (r) => {
          const inRoom = moved.filter(({ move }) => move.roomId === r).map(({ move }) => move);
          const from = Math.min(...inRoom.map((m) => m.from));
          const to = Math.max(...inRoom.map((m) => m.to));
          return [r, await this.groups.sendersBetween(r, from, to, MAX_MESSAGES_PASSED)] as const;
        }),
      ).then((e) => new Map(e)),
    ]);
    const out: DeliveryEnvelope[] = [];
    for (const { receipt, move } of moved) {
      const group = members.get(move.roomId) ?? [];
      // each sender's last message in (from, to] (newest first: the first seen), senders still in the group, the reader aside
      const lastBy = new Map<string, { id: string; seq: number }>();
      for (const m of writtenIn.get(move.roomId) ?? []) {
        if (m.seq > move.from && m.seq <= move.to && m.senderId !== move.userId && !lastBy.has(m.senderId) && group.includes(m.senderId))
          lastBy.set(m.senderId, m);
      }
      for (const [senderId, m] of lastBy) {
        const counts = groupCounts({ seq: m.seq, senderId }, group, cursorsOf.get(move.roomId)!);
        out.push(
          envelope(
            { userId: senderId },
            ServerEvents.groupReceipt,
            {
              groupId: move.roomId,
              messageId: m.id,
              fromSeq: move.from,
              upToSeq: move.to,
              kind: move.kind,
              by: move.userId,
              at: move.at.toISOString(),
              counts,
            },
            receipt.r.correlationId,
          ),
        );
      }
    }
    return out;
  }
}

function toEnvelope(receipt: MergedReceipt, move: CursorMove): DeliveryEnvelope {
  const at = move.at.toISOString();
  const common = { messageId: receipt.lastMessageId, roomId: move.roomId, upToSeq: move.to };
  const to = { userId: receipt.r.notifyUserId! };
  return move.kind === 'delivered'
    ? envelope(to, ServerEvents.messageDelivered, { ...common, deliveredBy: move.userId, deliveredAt: at }, receipt.r.correlationId)
    : envelope(to, ServerEvents.messageReadAck, { ...common, readBy: move.userId, readAt: at }, receipt.r.correlationId);
}
