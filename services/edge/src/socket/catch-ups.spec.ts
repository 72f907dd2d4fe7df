import { CatchUps, MAX_DISCARDED_READS, type CatchUpSteps } from './catch-ups';

/** A read the test finishes by hand, so it can ask for more catch-ups while one is under way. */
function deferred<T>() {
  let resolve!: (v: T) => void;
  let reject!: (e: Error) => void;
  const promise = new Promise<T>((res, rej) => ((resolve = res), (reject = rej)));
  return { promise, resolve, reject };
}
const flush = () => new Promise((r) => setImmediate(r));
/** Waits for a condition the catch-ups' timers bring about (a deadline only for a hang). */
async function until(pred: () => boolean, what: string): Promise<void> {
  const deadline = Date.now() + 5000;
  while (!pred()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 2));
  }
}

function harness(opts = { attempts: 5, retryMs: 10 }) {
  const reads: Array<ReturnType<typeof deferred<number>>> = [];
  const applied: number[] = [];
  /** The reads handed over with their holds released. */
  const released: number[] = [];
  const gaveUp: string[] = [];
  const done: Array<{ ms: number; readMs: number; failed: number; discarded: number }> = [];
  let connected = true;
  const steps: CatchUpSteps<number> = {
    read: () => {
      const d = deferred<number>();
      reads.push(d);
      return d.promise;
    },
    apply: async (_u, r, release) => {
      applied.push(r);
      if (release) released.push(r);
    },
    connected: () => connected,
    giveUp: (u) => void gaveUp.push(u),
    retrying: () => undefined,
    done: (_u, took) => void done.push(took),
  };
  const c = new CatchUps(steps, opts);
  return { c, reads, applied, released, gaveUp, done, disconnect: () => (connected = false) };
}

describe('CatchUps', () => {
  it('runs one catch-up per user however often it is asked for while waiting to retry', async () => {
    const h = harness({ attempts: 5, retryMs: 40 });
    h.c.request('u');
    await flush();
    h.reads[0].reject(new Error('store down'));
    await flush();
    h.c.request('u');
    h.c.request('u');
    await until(() => h.reads.length >= 2, 'the retry');
    expect(h.reads).toHaveLength(2);
    h.reads[1].resolve(7);
    await flush();
    expect(h.applied).toEqual([7]);
    expect(h.c.pending).toBe(0);
    // reported once, when the deliveries were released: held past the retry, one failed read
    expect(h.done).toHaveLength(1);
    expect(h.done[0]).toMatchObject({ failed: 1, discarded: 0 });
    expect(h.done[0].ms).toBeGreaterThanOrEqual(20);
  });

  it('does not hand over a read that began before a newer request: it reads again', async () => {
    const h = harness();
    h.c.request('u');
    await flush();
    h.c.request('u'); // a new hold while the first read is under way
    h.reads[0].resolve(1);
    await flush();
    expect(h.applied).toEqual([]);
    expect(h.reads).toHaveLength(2);
    h.reads[1].resolve(2);
    await flush();
    expect(h.applied).toEqual([2]);
  });

  it('reads again only after the newer request’s precondition has settled', async () => {
    const h = harness();
    h.c.request('u');
    await flush();
    const refreshed = deferred<void>();
    h.c.request('u', refreshed.promise);
    h.reads[0].resolve(1);
    await flush();
    expect(h.reads).toHaveLength(1); // waits for the refresh
    refreshed.resolve();
    await flush();
    expect(h.reads).toHaveLength(2);
    h.reads[1].resolve(2);
    await flush();
    expect(h.applied).toEqual([2]);
  });

  it('after MAX_DISCARDED_READS discarded reads hands one over but keeps the hold, and releases only a read no request overtook', async () => {
    const h = harness();
    h.c.request('u');
    for (let i = 0; i <= MAX_DISCARDED_READS; i++) {
      await flush();
      h.c.request('u'); // a request during every read
      h.reads[i].resolve(i);
    }
    await flush();
    // the sockets got what the last read had, still held: it began before the newest request
    expect(h.applied).toEqual([MAX_DISCARDED_READS]);
    expect(h.released).toEqual([]);
    // and a read follows; with no request during it, it releases the hold
    await until(() => h.reads.length === MAX_DISCARDED_READS + 2, 'the next read');
    h.reads[MAX_DISCARDED_READS + 1].resolve(99);
    await until(() => h.released.length === 1, 'the release');
    expect(h.released).toEqual([99]);
  });

  it('keeps users independent', async () => {
    const h = harness();
    h.c.request('a');
    h.c.request('b');
    await flush();
    expect(h.reads).toHaveLength(2);
    expect(h.c.pending).toBe(2);
  });

  it('gives up after its attempts, and stops when the user has gone', async () => {
    const h = harness({ attempts: 3, retryMs: 1 });
    h.c.request('u');
    for (let i = 0; i < 3; i++) {
      await until(() => h.reads.length > i, `read ${i + 1}`);
      h.reads[i].reject(new Error('down'));
    }
    await until(() => h.gaveUp.length > 0, 'giving up');
    expect(h.reads).toHaveLength(3);
    expect(h.gaveUp).toEqual(['u']);

    const g = harness({ attempts: 3, retryMs: 1 });
    g.c.request('v');
    await flush();
    g.disconnect();
    g.reads[0].reject(new Error('down'));
    await until(() => g.c.pending === 0, 'the run ending');
    expect(g.reads).toHaveLength(1);
    expect(g.gaveUp).toEqual([]);
    expect(g.c.pending).toBe(0);
  });
});
