import { CachedBlocks } from './cached-blocks';

const [A, B] = ['a', 'b'].map((x) => x.repeat(24));

describe('CachedBlocks', () => {
  it('reads a user’s blocks once while cached, and again once forgotten', async () => {
    let reads = 0;
    const stored = new Set<string>();
    const cache = new CachedBlocks({ blockedBy: async () => (reads++, new Set(stored)) }, 60_000);
    expect(await cache.blocks(A, B)).toBe(false);
    stored.add(B);
    // another edge's change: not seen until the entry goes
    expect(await Promise.all([cache.blocks(A, B), cache.blocks(A, B)])).toEqual([false, false]);
    expect(reads).toBe(1);
    cache.forget(A);
    expect(await cache.blocks(A, B)).toBe(true);
    expect(reads).toBe(2);
  });

  it('reads every time with a zero TTL, and does not keep a failed read', async () => {
    let reads = 0;
    const uncached = new CachedBlocks({ blockedBy: async () => (reads++, new Set<string>()) }, 0);
    await uncached.blocks(A, B);
    await uncached.blocks(A, B);
    expect(reads).toBe(2);
    let fail = true;
    const flaky = new CachedBlocks(
      {
        blockedBy: async () => {
          if (fail) throw new Error('store down');
          return new Set([B]);
        },
      },
      60_000,
    );
    await expect(flaky.blocks(A, B)).rejects.toThrow('store down');
    fail = false;
    expect(await flaky.blocks(A, B)).toBe(true);
  });
});
