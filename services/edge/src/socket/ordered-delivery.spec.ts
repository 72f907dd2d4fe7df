import type { MessageView } from '@chat/contracts';
import { mergeSince } from './handshake';
import { handedFloor, OrderedDelivery, type SocketEvent } from './ordered-delivery';

const R1 = '1'.repeat(24);
const R2 = '2'.repeat(24);
const m = (roomId: string, seq: number) => ({ id: `${roomId}-${seq}`, roomId, seq }) as MessageView;
// the delivery never looks into an event's payload: partial ones stand for the real thing
const ev = (event: string, payload: object) => ({ event, payload }) as SocketEvent;

describe('OrderedDelivery', () => {
  it('holds live messages until the sync is released, then hands all over in order, once', () => {
    const out: string[] = [];
    const d = new OrderedDelivery((x) => out.push(x.id));
    d.offer(m(R1, 4));
    d.offer(m(R1, 3));
    expect(out).toEqual([]);
    d.release([m(R1, 1), m(R1, 2), m(R1, 3)]);
    expect(out).toEqual([`${R1}-1`, `${R1}-2`, `${R1}-3`, `${R1}-4`]);
    d.offer(m(R1, 4));
    d.offer(m(R1, 2));
    d.offer(m(R1, 5));
    expect(out.slice(4)).toEqual([`${R1}-5`]);
  });

  it('keeps rooms independent and respects acknowledged cursors', () => {
    const out: string[] = [];
    const d = new OrderedDelivery((x) => out.push(x.id));
    d.release([], { [R1]: 10 });
    d.offer(m(R1, 9));
    d.offer(m(R2, 1));
    d.offer(m(R1, 11));
    expect(out).toEqual([`${R2}-1`, `${R1}-11`]);
  });

  it('ignores messages without a seq', () => {
    const out: string[] = [];
    const d = new OrderedDelivery((x) => out.push(x.id));
    d.release([{ ...m(R1, 1), seq: null }]);
    expect(out).toEqual([]);
  });

  it('holds live deliveries during a later catch-up, so a newer live message cannot overtake older ones', () => {
    const out: string[] = [];
    const d = new OrderedDelivery((x) => out.push(x.id));
    d.release([m(R1, 1)]);
    d.hold(); // Redis lost presence; the catch-up starts
    d.offer(m(R1, 5)); // fanout sees the user online again before the catch-up read the store
    d.offer(m(R1, 6));
    expect(out).toEqual([`${R1}-1`]);
    d.release([m(R1, 2), m(R1, 3), m(R1, 4), m(R1, 5)], { [R1]: 1 });
    expect(out).toEqual([1, 2, 3, 4, 5, 6].map((i) => `${R1}-${i}`));
    d.offer(m(R1, 7));
    expect(out.at(-1)).toBe(`${R1}-7`);
  });
});

describe('mergeSince (handshake auth.since)', () => {
  const R = 'a'.repeat(24);
  const S = 'b'.repeat(24);
  it('takes the larger of the stored cursor and the device’s claim, per room', () => {
    expect(mergeSince({ [R]: 5, [S]: 9 }, { [R]: 7, [S]: 3 })).toEqual({ [R]: 7, [S]: 9 });
  });
  it('ignores malformed claims', () => {
    expect(mergeSince({ [R]: 5 }, { [R]: -1, zz: 4, [S]: '7', ['c'.repeat(24)]: 1.5 })).toEqual({ [R]: 5 });
    expect(mergeSince({ [R]: 5 }, [1, 2])).toEqual({ [R]: 5 });
    expect(mergeSince({ [R]: 5 }, 'x')).toEqual({ [R]: 5 });
    expect(mergeSince({}, { $gt: 1 })).toEqual({});
  });
  it('keeps a claim of 0 (nothing in that room), so the catch-up there starts at the beginning', () => {
    expect(mergeSince({}, { [R]: 0 })).toEqual({ [R]: 0 });
    const d = new OrderedDelivery(() => undefined);
    d.feed([], mergeSince({}, { [R]: 0 }));
    expect(handedFloor([d])).toEqual({ [R]: 0 });
  });

  it('hands a sync over page by page while live messages keep waiting for the last page', () => {
    const out: number[] = [];
    const d = new OrderedDelivery((x) => out.push(x.seq!));
    d.offer(m(R1, 9)); // live, newer than the whole backlog
    d.feed([m(R1, 1), m(R1, 2), m(R1, 3)]);
    expect(out).toEqual([1, 2, 3]);
    expect(d.syncing).toBe(true);
    d.offer(m(R1, 10));
    expect(new Map(d.handedRooms()).get(R1)).toBe(3);
    d.feed([m(R1, 3), m(R1, 4), m(R1, 5)]); // a page may repeat what was handed: dropped
    d.release([m(R1, 6), m(R1, 7), m(R1, 8)]);
    expect(out).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
    expect(d.syncing).toBe(false);
  });

  it('holds edits, deletes and receipts with the messages, and emits them after every message, parked ones first', () => {
    const out: string[] = [];
    const d = new OrderedDelivery(
      (x) => out.push(`msg ${x.seq}`),
      (e) => out.push(`${e.event} ${(e.payload as { messageId: string }).messageId}`),
    );
    d.release([m(R1, 1)]);
    d.offerEvent(ev('message_edited', { messageId: 'a' })); // not held: at once
    d.hold();
    d.offer(m(R1, 3)); // live, during a catch-up
    d.offerEvent(ev('message_deleted', { messageId: `${R1}-3` })); // its delete overtakes the catch-up
    expect(out).toEqual(['msg 1', 'message_edited a']);
    d.release([m(R1, 2)], {}, [ev('message_edited', { messageId: `${R1}-2` })]);
    // the device has message 3 before it is told it was deleted, and the older parked edit comes first
    expect(out).toEqual(['msg 1', 'message_edited a', 'msg 2', 'msg 3', `message_edited ${R1}-2`, `message_deleted ${R1}-3`]);
    d.offerEvent(ev('message_read_ack', { messageId: 'z' }));
    expect(out[out.length - 1]).toBe('message_read_ack z');
  });

  it('emits the changes a sync read last, after the parked and the held live events', () => {
    const out: string[] = [];
    const d = new OrderedDelivery(
      (x) => out.push(`msg ${x.seq}`),
      (e) => out.push(`${e.event}:${(e.payload as { content?: string }).content ?? ''}`),
    );
    d.offerEvent(ev('message_edited', { content: 'b' })); // live, held (the connect-time sync runs)
    d.feed([m(R1, 1)], {}, [ev('message_edited', { content: 'a' })], [ev('message_edited', { content: 'c' })]);
    d.release([m(R1, 2)], {}, [], [ev('message_deleted', {})]);
    expect(out).toEqual(['msg 1', 'msg 2', 'message_edited:a', 'message_edited:b', 'message_edited:c', 'message_deleted:']);
  });

  it('starts a catch-up of several sockets where the furthest behind is, room by room', () => {
    const behind = new OrderedDelivery(() => undefined);
    behind.feed([], { [R1]: 50 }); // a laptop that said it has 50
    const ahead = new OrderedDelivery(() => undefined);
    ahead.feed([], { [R1]: 80, [R2]: 7 });
    const fresh = new OrderedDelivery(() => undefined); // just connected, handed nothing yet
    expect(handedFloor([behind, ahead, fresh])).toEqual({ [R1]: 50, [R2]: 7 });
    expect(handedFloor([fresh])).toEqual({});
  });
});
