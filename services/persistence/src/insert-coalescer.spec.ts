import type { NewMessage } from '@chat/store';
import { InsertCoalescer } from './insert-coalescer';

const doc = (id: string, roomId = 'r1'): NewMessage => ({
  id,
  roomId,
  seq: 1,
  senderId: 's',
  receiverId: 'v',
  content: id,
  createdAt: new Date(0),
});

/** A store stand-in: records each insert command; ids in `stored` collide; a doc named in `poison` fails the command. */
function fakeStore(opts: { stored?: string[]; poison?: string[]; down?: boolean } = {}) {
  const calls: string[][] = [];
  const stored = new Set(opts.stored ?? []);
  const insert = async (docs: NewMessage[]) => {
    calls.push(docs.map((d) => d.id));
    await new Promise((r) => setTimeout(r, 1));
    if (opts.down) throw Object.assign(new Error('store down'), { unavailable: true });
    if (docs.some((d) => opts.poison?.includes(d.id))) throw new Error('bad document');
    const collided = new Set(docs.filter((d) => stored.has(d.id)).map((d) => d.id));
    docs.forEach((d) => stored.add(d.id));
    return collided;
  };
  return { calls, insert, unavailable: (err: unknown) => Boolean((err as { unavailable?: boolean }).unavailable) };
}

describe('InsertCoalescer', () => {
  it('sends the inserts of one turn as one command and gives each caller its own collisions', async () => {
    const store = fakeStore({ stored: ['b2'] });
    const c = new InsertCoalescer(store.insert, store.unavailable);
    const [a, b, d] = await Promise.all([
      c.insertIdempotent([doc('a1'), doc('a2')]),
      c.insertIdempotent([doc('b1', 'r2'), doc('b2', 'r2')]),
      c.insertIdempotent([doc('d1', 'r3')]),
    ]);
    expect(store.calls).toEqual([['a1', 'a2', 'b1', 'b2', 'd1']]);
    expect([...a]).toEqual([]);
    expect([...b]).toEqual(['b2']);
    expect([...d]).toEqual([]);
  });

  it('lets calls of a later turn form the next command (a partition waits for its own insert before it goes on)', async () => {
    const store = fakeStore();
    const c = new InsertCoalescer(store.insert, store.unavailable);
    await c.insertIdempotent([doc('a1')]);
    await c.insertIdempotent([doc('a2')]);
    expect(store.calls).toEqual([['a1'], ['a2']]);
  });

  it('keeps one command in flight: calls made meanwhile wait for it and then go out together', async () => {
    const store = fakeStore();
    const c = new InsertCoalescer(store.insert, store.unavailable);
    const first = c.insertIdempotent([doc('a1')]);
    await new Promise((r) => setImmediate(r)); // the first command is now in flight (the store takes 1 ms)
    expect(store.calls).toEqual([['a1']]);
    const later = [c.insertIdempotent([doc('b1', 'r2')]), c.insertIdempotent([doc('c1', 'r3')])];
    await new Promise((r) => setImmediate(r));
    expect(store.calls).toHaveLength(1);
    await Promise.all([first, ...later]);
    expect(store.calls).toEqual([['a1'], ['b1', 'c1']]);
  });

  it('waits lingerMs for more calls when asked to, and flushes early at maxDocs', async () => {
    const store = fakeStore();
    const c = new InsertCoalescer(store.insert, store.unavailable, { lingerMs: 20, maxDocs: 3 });
    const first = c.insertIdempotent([doc('a1')]);
    await new Promise((r) => setTimeout(r, 5));
    const second = c.insertIdempotent([doc('b1', 'r2')]);
    await Promise.all([first, second]);
    expect(store.calls).toEqual([['a1', 'b1']]);
    await Promise.all([
      c.insertIdempotent([doc('c1'), doc('c2')]),
      c.insertIdempotent([doc('d1', 'r2')]),
      c.insertIdempotent([doc('e1', 'r3')]),
    ]);
    expect(store.calls.slice(1)).toEqual([['c1', 'c2', 'd1'], ['e1']]);
  });

  it('fails only the caller whose document the store refuses; the others are stored', async () => {
    const store = fakeStore({ poison: ['p1'] });
    const c = new InsertCoalescer(store.insert, store.unavailable);
    const results = await Promise.allSettled([
      c.insertIdempotent([doc('a1')]),
      c.insertIdempotent([doc('p1', 'r2')]),
      c.insertIdempotent([doc('b1', 'r3')]),
    ]);
    expect(results.map((r) => r.status)).toEqual(['fulfilled', 'rejected', 'fulfilled']);
    expect((results[1] as PromiseRejectedResult).reason.message).toBe('bad document');
    // the merged command, then each caller alone
    expect(store.calls).toEqual([['a1', 'p1', 'b1'], ['a1'], ['p1'], ['b1']]);
  });

  it('fails every caller at once, without retrying each, while the store is unreachable', async () => {
    const store = fakeStore({ down: true });
    const c = new InsertCoalescer(store.insert, store.unavailable);
    const results = await Promise.allSettled([c.insertIdempotent([doc('a1')]), c.insertIdempotent([doc('b1', 'r2')])]);
    expect(results.map((r) => r.status)).toEqual(['rejected', 'rejected']);
    expect(store.calls).toEqual([['a1', 'b1']]);
  });

  it('answers an empty call without a command', async () => {
    const store = fakeStore();
    const c = new InsertCoalescer(store.insert, store.unavailable);
    expect((await c.insertIdempotent([])).size).toBe(0);
    expect(store.calls).toEqual([]);
  });
});
