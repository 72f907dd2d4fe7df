/**
 * What a search matches: words, each a run of letters and digits, compared without case or diacritics
 * ("Café" finds "cafe"). A message matches when it holds every word of the query as a whole word. MongoDB's
 * text index (language "none": no stemming, no stop words) splits and folds text the same way, give or
 * take punctuation inside words; the FerretDB scan matches with this in JavaScript.
 */
const WORD = /[\p{L}\p{N}]+/gu;

/** Lower case, diacritics removed (NFD, combining marks dropped). */
export function foldText(text: string): string {
  return text.normalize('NFD').replace(/\p{M}/gu, '').toLowerCase();
}

/** The distinct folded words of a text, in order of first appearance. */
export function searchWords(text: string): string[] {
  return [...new Set(foldText(text).match(WORD) ?? [])];
}

/** True when the content holds every one of the (folded) words as a whole word. */
export function holdsAllWords(content: string, words: readonly string[]): boolean {
  if (words.length === 0 || !content) return false;
  const have = new Set(foldText(content).match(WORD) ?? []);
  return words.every((w) => have.has(w));
}
