import { idAgeMs, newTimedId } from '@chat/contracts';
import { readYourWrites } from './read-your-writes';

describe('ids issued by the edge and read-your-writes', () => {
  it('a timed id is 24 hex and knows its age', () => {
    const t = Date.UTC(2026, 10, 27, 6, 0, 0);
    const id = newTimedId(t);
    expect(id).toMatch(/^[0-9a-f]{24}$/);
    expect(idAgeMs(id, t + 1_500)).toBe(1_500);
    expect(idAgeMs('zz', t)).toBe(Infinity);
    expect(idAgeMs(id, t - 60_000)).toBe(Infinity);
  });

  it('waits for a fresh id to appear, and gives up on an old one at once', async () => {
    let reads = 0;
    const appearsOnThird = () => Promise.resolve(++reads >= 3 ? 'doc' : null);
    expect(await readYourWrites(newTimedId(), appearsOnThird)).toBe('doc');
    expect(reads).toBe(3);

    let oldReads = 0;
    const never = () => Promise.resolve((oldReads++, null));
    const old = newTimedId(Date.now() - 60_000);
    expect(await readYourWrites(old, never)).toBeNull();
    expect(oldReads).toBe(1);
  });

  it('stops waiting once the window has passed', async () => {
    let clock = Date.now();
    const id = newTimedId(clock);
    let reads = 0;
    const never = () => Promise.resolve((reads++, (clock += 1_000), null));
    expect(await readYourWrites(id, never, 5_000, () => clock)).toBeNull();
    expect(reads).toBeGreaterThan(1);
    expect(reads).toBeLessThanOrEqual(7);
  });
});
