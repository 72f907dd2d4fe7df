import { PairReceivers, withoutPairReceiver } from './pair-receivers';

const A = 'a'.repeat(24);
const B = 'b'.repeat(24);
const G = 'e'.repeat(24);

function rooms(asked: string[]) {
  const known: Record<string, { kind: 'direct' | 'group'; participants: string[] }> = {
    pair: { kind: 'direct', participants: [A, B] },
    self: { kind: 'direct', participants: [A, A] },
    group: { kind: 'group', participants: [A, B] },
  };
  return async (id: string) => {
    asked.push(id);
    return known[id] ?? null;
  };
}

describe('PairReceivers', () => {
  it('gives a pair message the other participant, looking each room up once', async () => {
    const asked: string[] = [];
    const r = new PairReceivers(rooms(asked));
    const docs = [
      { roomId: 'pair', senderId: A },
      { roomId: 'pair', senderId: B },
      { roomId: 'self', senderId: A },
    ];
    await r.fill(docs);
    await r.fill([{ roomId: 'pair', senderId: A }]);
    expect(docs.map((d) => (d as { receiverId?: string }).receiverId)).toEqual([B, A, A]);
    expect(asked.sort()).toEqual(['pair', 'self']);
  });

  it('leaves group messages, messages that have a receiver, and unknown rooms as they are', async () => {
    const asked: string[] = [];
    const r = new PairReceivers(rooms(asked));
    const docs = [
      { roomId: 'group', senderId: A, groupId: G, receiverId: G },
      { roomId: 'pair', senderId: A, receiverId: 'stored' },
      { roomId: 'gone', senderId: A },
      { roomId: 'group', senderId: A },
    ];
    await r.fill(docs);
    expect(docs.map((d) => (d as { receiverId?: string }).receiverId)).toEqual([G, 'stored', undefined, undefined]);
    expect(asked.sort()).toEqual(['gone', 'group']);
  });

  it('keeps at most `max` rooms, dropping the least recently used', async () => {
    const asked: string[] = [];
    const r = new PairReceivers(rooms(asked), 1);
    await r.fill([{ roomId: 'pair', senderId: A }]);
    await r.fill([{ roomId: 'self', senderId: A }]);
    await r.fill([{ roomId: 'pair', senderId: A }]);
    expect(asked).toEqual(['pair', 'self', 'pair']);
  });

  it('stores a pair message without its receiver and a group message with it', () => {
    expect(withoutPairReceiver({ roomId: 'pair', receiverId: B, content: 'x' })).toEqual({ roomId: 'pair', content: 'x' });
    expect(withoutPairReceiver({ roomId: 'group', receiverId: G, groupId: G })).toEqual({ roomId: 'group', receiverId: G, groupId: G });
  });
});
