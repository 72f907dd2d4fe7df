import { holdsAllWords, searchWords } from './search-words';

describe('search words', () => {
  it('splits on anything but letters and digits, folds case and diacritics, drops repeats', () => {
    expect(searchWords('  Café, CAFE! déjà-vu 42 ')).toEqual(['cafe', 'deja', 'vu', '42']);
    expect(searchWords('.*+?()[]{}|^$\\')).toEqual([]);
  });

  it('a message matches when it holds every word as a whole word', () => {
    expect(holdsAllWords('Meet me at the Café at noon', ['cafe', 'noon'])).toBe(true);
    expect(holdsAllWords('Meet me at the Café', ['cafe', 'noon'])).toBe(false);
    // a word inside a longer one is not that word
    expect(holdsAllWords('concatenate', ['cat'])).toBe(false);
    // regex characters in content or query are plain text
    expect(holdsAllWords('a.b (c)', searchWords('(c)'))).toBe(true);
    expect(holdsAllWords('', ['x'])).toBe(false);
  });
});
