import { tally, webhookTally } from './tally';

const m = (id: string, seq: number) => ({ id, seq });

describe('tally', () => {
  const acked = [{ id: 'a' }, { id: 'b' }, { id: 'c' }];

  it('counts nothing wrong when the store and the receiver follow the send order', () => {
    expect(tally(acked, [m('a', 1), m('b', 2), m('c', 4)], [m('a', 1), m('b', 2), m('c', 4)])).toEqual({
      acked: 3,
      stored: 3,
      seen: 3,
      lost: 0,
      duplicates: 0,
      order: 0,
    });
  });

  it('sees two messages stored in swapped order although the seqs the receiver saw rise', () => {
    const stored = [m('a', 1), m('c', 2), m('b', 3)];
    expect(tally(acked, stored, [m('a', 1), m('c', 2), m('b', 3)]).order).toBe(2); // once in the store, once as shown
    expect(tally(acked, stored, null).order).toBe(1);
  });

  it('sees a message shown twice, and one shown out of turn', () => {
    expect(tally(acked, [m('a', 1), m('b', 2), m('c', 3)], [m('a', 1), m('b', 2), m('a', 1), m('c', 3)])).toMatchObject({
      duplicates: 1,
      order: 0,
    });
    expect(tally(acked, [m('a', 1), m('b', 2), m('c', 3)], [m('b', 2), m('a', 1), m('c', 3)])).toMatchObject({ duplicates: 0, order: 1 });
  });

  it('counts an acknowledged message lost when it is not stored, or never shown to a counted receiver', () => {
    expect(tally(acked, [m('a', 1), m('b', 2)], [m('a', 1), m('b', 2)])).toMatchObject({ stored: 2, lost: 1 });
    expect(tally(acked, [m('a', 1), m('b', 2), m('c', 3)], [m('a', 1)])).toMatchObject({ seen: 1, lost: 2 });
    expect(tally(acked, [m('a', 1), m('b', 2), m('c', 3)], null)).toMatchObject({ lost: 0 });
  });
});

describe('webhookTally', () => {
  const created = (id: string, messageId: string) => ({ id, type: 'message.created', data: { message: { id: messageId } } });

  it('counts a stored message with no message.created as lost, and repeats under the same id as fine', () => {
    const events = [created('e1', 'a'), created('e1', 'a'), { id: 'x', type: 'message.read', data: {} }];
    expect(webhookTally(['a', 'b'], events)).toEqual({ stored: 2, told: 1, lost: 1, idConflicts: 0 });
  });

  it('counts a message told under two event ids as a conflict', () => {
    expect(webhookTally(['a'], [created('e1', 'a'), created('e2', 'a')])).toEqual({ stored: 1, told: 1, lost: 0, idConflicts: 1 });
  });
});
