import type { DeliveryEnvelope, ReceiptCommand } from '@chat/contracts';
import type { CursorMove } from '@chat/store';
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
  const uc = new ApplyReceiptsUseCase(cursors, { deliver: async (e) => (told.push(...e), 1) }, { membersOf: async () => new Map(), forRoom: async () => new Map() });
  return { cursors, told, uc };
}

describe('ApplyReceiptsUseCase', () => {
  it('applies a batch with one write per kind and one notification per moved cursor', async () => {
    const { cursors, told, uc } = setup();
    await uc.execute([receipt('delivered', 1), receipt('delivered', 3), receipt('delivered', 2), receipt('read', 2)]);
    expect(cursors.writes).toBe(2);
    expect(told.map((t) => `${t.event}:${(t.payload as { upToSeq: number }).upToSeq}`)).toEqual(['message_delivered:3', 'message_read_ack:2']);
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
});
