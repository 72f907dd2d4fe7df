import { mapBounded } from './bounded';

describe('mapBounded', () => {
  it('never has more than n calls in flight, and keeps the input order', async () => {
    let inFlight = 0;
    let peak = 0;
    const out = await mapBounded(
      Array.from({ length: 50 }, (_, i) => i),
      async (i) => {
        inFlight++;
        peak = Math.max(peak, inFlight);
        await new Promise((r) => setImmediate(r));
        inFlight--;
        return i * 2;
      },
      4,
    );
    expect(peak).toBe(4);
    expect(out).toEqual(Array.from({ length: 50 }, (_, i) => i * 2));
  });
});
