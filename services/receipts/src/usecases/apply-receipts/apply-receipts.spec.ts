import type { DeliveryEnvelope, ReceiptCommand } from '@chat/contracts';
import type { CursorDoc, CursorMove } from '@chat/store';
import { ApplyReceiptsUseCase, type CursorPort } from './apply-receipts.usecase';

const A = 'a'.repeat(24);
const B = 'b'.repeat(24);
const ROOM = 'c'.repeat(24);

class FakeCursors implements CursorPort {
  delivered = 0;
  read = 0;
  writes = 0;
  async advance(roomId: string, userId: string, kind: 'delivered' | 'read', seq: number, at: Date): Promise<CursorMove> {
    const from = kind === 'read' ? this.read : this.delivered;
    if (seq <= from) return { roomId, userId, kind, from, to: from, at };
    this.writes++;
    if (kind === 'read') this.read = seq;
    this.delivered = Math.max(this.delivered, seq);
    return { roomId, userId, kind, from, to: seq, at };
  }
}

const receipt = (kind: 'delivered' | 'read', upToSeq: number, id = upToSeq.toString(16).padStart(24, '0')): ReceiptCommand => ({
  type: 'message.receipt.v1',
  correlationId: 'x',
  kind,
  userId: B,
  roomId: ROOM,
  messageIds: [id],
  upToSeq,
  notifyUserId: A,
  at: new Date().toISOString(),
});

function setup() {
  const cursors = new FakeCursors();
  const told: DeliveryEnvelope[] = [];
  const uc = new ApplyReceiptsUseCase(
    cursors,
    { deliver: async (e) => (told.push(...e), 1) },
    { membersOf: async () => new Map(), forRoom: async () => new Map(), sendersBetween: async () => [] },
  );
  return { cursors, told, uc };
}

describe('ApplyReceiptsUseCase', () => {
  it('applies a batch with one write per kind and one notification per moved cursor', async () => {
    const { cursors, told, uc } = setup();
    await uc.execute([receipt('delivered', 1), receipt('delivered', 3), receipt('delivered', 2), receipt('read', 2)]);
    expect(cursors.writes).toBe(2);
    expect(told.map((t) => `${t.event}:${(t.payload as { upToSeq: number }).upToSeq}`)).toEqual([
      'message_delivered:3',
      'message_read_ack:2',
    ]);
  });

  it('never moves backwards and tells nobody twice', async () => {
    const { cursors, told, uc } = setup();
    await uc.execute([receipt('read', 5)]);
    await uc.execute([receipt('read', 5)]);
    await uc.execute([receipt('delivered', 4)]);
    expect(cursors.read).toBe(5);
    expect(cursors.delivered).toBe(5);
    expect(told).toHaveLength(1);
  });

  it('tells the senders of the group messages a member passed, once each, with the counts of their last one', async () => {
    const [C, D] = ['e'.repeat(24), 'f'.repeat(24)];
    const id = (seq: number) => seq.toString(16).padStart(24, '0');
    const written = [
      { id: id(1), seq: 1, senderId: A },
      { id: id(2), seq: 2, senderId: C },
      { id: id(3), seq: 3, senderId: A },
      { id: id(4), seq: 4, senderId: B }, // the reader's own
    ];
    const cursors = new FakeCursors();
    const told: DeliveryEnvelope[] = [];
    const asked: number[][] = [];
    const cursorOf = (userId: string, readSeq: number) =>
      ({ _id: userId, roomId: ROOM, userId, deliveredSeq: readSeq, readSeq, deliveredAt: null, readAt: null }) as CursorDoc;
    const uc = new ApplyReceiptsUseCase(
      cursors,
      { deliver: async (e) => (told.push(...e), 1) },
      {
        membersOf: async () => new Map([[ROOM, [A, B, C, D]]]),
        forRoom: async () =>
          new Map([
            [B, cursorOf(B, cursors.read)],
            [D, cursorOf(D, 1)],
          ]),
        sendersBetween: async (_room, after, upto) => (
          asked.push([after, upto]),
          written.filter((m) => m.seq > after && m.seq <= upto).reverse()
        ),
      },
    );
    await uc.execute([{ ...receipt('read', 4, id(4)), group: true, notifyUserId: B }]);
    expect(asked).toEqual([[0, 4]]);
    // A and C, not D (wrote nothing there) and not B (the reader): one event each, naming their last message
    expect(told.map((t) => [t.userId, t.event, (t.payload as { messageId: string }).messageId])).toEqual([
      [A, 'group_receipt', id(3)],
      [C, 'group_receipt', id(2)],
    ]);
    expect(told[0].payload).toMatchObject({ groupId: ROOM, fromSeq: 0, upToSeq: 4, kind: 'read', by: B, counts: { read: 1, of: 3 } });
    expect(told[1].payload).toMatchObject({ counts: { read: 1, delivered: 1, of: 3 } });
    // the same receipt again moves nothing and tells nobody
    await uc.execute([{ ...receipt('read', 4, id(4)), group: true, notifyUserId: B }]);
    expect(told).toHaveLength(2);
  });
});
