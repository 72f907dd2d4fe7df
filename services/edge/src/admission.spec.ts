import { Busy, toErrorBody } from '@chat/contracts';
import { Admission } from './admission';

const log = { warn: () => undefined } as never;

function admission(lag: () => number | null, queued: () => number | null, random = () => 0.5, perSecond: number | null = null) {
  const store = async () => {
    const l = lag();
    return l === null ? null : { lagMs: l, inHand: 0, perSecond };
  };
  return new Admission({ store, queued: async () => queued() }, { maxLagMs: 2000, maxQueued: 1000, pollMs: 100, random }, log);
}

describe('Admission', () => {
  it('takes sends while the store keeps up', async () => {
    const a = admission(
      () => 300,
      () => 50,
    );
    await a.poll();
    expect(() => a.check()).not.toThrow();
  });

  it('refuses with BUSY and a retry delay while the workers report a lag above the limit, and takes sends again after', async () => {
    let lag = 6000;
    const a = admission(
      () => lag,
      () => 0,
      () => 0.5,
    );
    await a.poll();
    let err: unknown;
    try {
      a.check();
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(Busy);
    expect(toErrorBody(err)).toEqual({ error: { code: 'BUSY', message: expect.any(String), retryAfterMs: 5000 } });
    lag = 100;
    await a.poll();
    expect(() => a.check()).not.toThrow();
  });

  it('refuses a growing share of sends from half the limit up, all of them at the limit', async () => {
    let lag = 1500; // three quarters of the way: half the sends refused
    let r = 0;
    const a = admission(
      () => lag,
      () => 0,
      () => ((r = (r + 0.1) % 1), r),
    );
    await a.poll();
    let refused = 0;
    for (let i = 0; i < 100; i++) {
      try {
        a.check();
      } catch {
        refused++;
      }
    }
    expect(refused).toBeGreaterThan(30);
    expect(refused).toBeLessThan(70);
    lag = 900;
    await a.poll();
    expect(a.state().share).toBe(0);
  });

  it('judges by the wait the backlog predicts when the workers say how fast they store, before the measured lag shows it', async () => {
    const a = admission(
      () => 100,
      () => 900,
      () => 0.5,
      300,
    ); // 900 waiting at 300/s: a send now waits 3 s
    await a.poll();
    expect(a.state()).toMatchObject({ lagMs: 3000, refusing: 'lag', share: 1 });
  });

  it('refuses when the queues are deep although no worker reports (all down)', async () => {
    const a = admission(
      () => null,
      () => 5000,
    );
    await a.poll();
    expect(() => a.check()).toThrow(Busy);
    expect(a.state()).toMatchObject({ refusing: 'queued', queued: 5000 });
  });

  it('keeps the last reading of a signal it cannot read, rather than opening the door during an outage', async () => {
    let queued: number | null = 5000;
    const a = admission(
      () => null,
      () => queued,
    );
    await a.poll();
    queued = null;
    await a.poll();
    expect(() => a.check()).toThrow(Busy);
  });
});
