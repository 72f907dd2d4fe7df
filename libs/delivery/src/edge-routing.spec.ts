import type { DeliveryEnvelope, ServerEventName } from '@chat/contracts';
import { LiveNotifier, sendToEdges } from './edge-routing';

const [A, B, C] = ['a', 'b', 'c'].map((x) => x.repeat(24));
// routing looks at recipients only: an empty payload stands for any event's
const env = (userIds: string[], event: ServerEventName = 'receive_message'): DeliveryEnvelope =>
  (userIds.length === 1 ? { userId: userIds[0], event, payload: {} } : { userIds, event, payload: {} }) as DeliveryEnvelope;

/** Edges that record their shares; `listening`: listeners per edge (absent: 1). */
function edges(listening: Record<string, number> = {}) {
  const shares = new Map<string, DeliveryEnvelope[]>();
  let publishes = 0;
  return {
    shares,
    publishes: () => publishes,
    deliver: async (s: Map<string, DeliveryEnvelope[]>) => {
      publishes += s.size;
      for (const [edge, list] of s) shares.set(edge, [...(shares.get(edge) ?? []), ...list]);
      return new Map([...s.keys()].map((edge) => [edge, listening[edge] ?? 1]));
    },
  };
}

describe('sendToEdges', () => {
  it('gives each edge its share in one publish and names the users no edge heard', async () => {
    const e = edges({ e2: 0 });
    const where = new Map([
      [A, new Set(['e1'])],
      [B, new Set(['e2'])],
      [C, new Set(['e1', 'e2'])],
    ]);
    const unheard = await sendToEdges(e, [env([A, B, C]), env([B], 'message_read_ack')], where);
    expect(e.publishes()).toBe(2);
    expect(e.shares.get('e1')).toEqual([{ userIds: [A, C], event: 'receive_message', payload: {} }]);
    expect(e.shares.get('e2')).toEqual([
      { userIds: [B, C], event: 'receive_message', payload: {} },
      { userId: B, event: 'message_read_ack', payload: {} },
    ]);
    // B's only edge is gone; C is still heard on e1
    expect([...unheard]).toEqual([B]);
  });

  it('publishes nothing for nothing', async () => {
    const e = edges();
    expect([...(await sendToEdges(e, [], new Map()))]).toEqual([]);
    expect(e.publishes()).toBe(0);
  });
});

describe('LiveNotifier', () => {
  it('looks up where the recipients are and tells only the online ones', async () => {
    const e = edges();
    const asked: string[][] = [];
    const notifier = new LiveNotifier({ whereOnline: async (ids) => (asked.push(ids), new Map([[A, new Set(['e1'])]])) }, e);
    await notifier.deliver([env([A], 'message_delivered'), env([B], 'message_delivered')]);
    expect(asked).toEqual([[A, B]]);
    expect([...e.shares]).toEqual([['e1', [{ userId: A, event: 'message_delivered', payload: {} }]]]);
  });
});
