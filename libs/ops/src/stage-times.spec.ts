import { bucketOf, StageWindow, stagePercentiles } from './stage-times';

describe('StageWindow and stagePercentiles', () => {
  it('reads p50 and p99 within a bucket’s width of the true values', () => {
    const w = new StageWindow(5000, 12, () => 0);
    for (let ms = 1; ms <= 1000; ms++) w.add('stored', ms);
    const [, stored] = stagePercentiles([w.summary()]);
    expect(stored.stage).toBe('stored');
    expect(stored.count).toBe(1000);
    expect(stored.p50Ms! / 500).toBeGreaterThan(0.84);
    expect(stored.p50Ms! / 500).toBeLessThan(1.19);
    expect(stored.p99Ms! / 990).toBeGreaterThan(0.84);
    expect(stored.p99Ms! / 990).toBeLessThan(1.19);
  });

  it('forgets what is older than its window', () => {
    let now = 0;
    const w = new StageWindow(5000, 12, () => now);
    w.add('accepted', 3);
    now = 55_000; // the 12th slot: still in
    w.add('accepted', 3);
    expect(stagePercentiles([w.summary()])[0].count).toBe(2);
    now = 60_000;
    expect(stagePercentiles([w.summary()])[0].count).toBe(1);
    now = 120_000;
    expect(stagePercentiles([w.summary()])[0]).toEqual({ stage: 'accepted', count: 0, p50Ms: null, p99Ms: null });
  });

  it('adds up several processes’ counts before reading percentiles, as averaging their p99s would not', () => {
    const fast = new StageWindow(5000, 12, () => 0);
    const slow = new StageWindow(5000, 12, () => 0);
    for (let i = 0; i < 98; i++) fast.add('fanned_out', 2);
    for (let i = 0; i < 2; i++) slow.add('fanned_out', 4000);
    const f = stagePercentiles([fast.summary(), slow.summary()]).find((p) => p.stage === 'fanned_out')!;
    expect(f.count).toBe(100);
    expect(f.p50Ms!).toBeLessThan(3);
    expect(f.p99Ms!).toBeGreaterThan(3000);
  });

  it('ignores counts that are not its own (a foreign or damaged summary)', () => {
    const p = stagePercentiles([{ read: { x: 5, '-1': 3, '7': -2, '999': 1 } }]);
    expect(p.find((s) => s.stage === 'read')!.count).toBe(0);
    expect(bucketOf(0)).toBe(0);
    expect(bucketOf(-5)).toBe(0);
    expect(bucketOf(Number.NaN)).toBe(0);
  });
});
