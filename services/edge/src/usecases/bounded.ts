import pLimit from 'p-limit';

/** Most store reads one request runs at once over a user's rooms (a user in thousands of rooms would fire thousands together). */
export const ROOM_READS_PER_REQUEST = 8;

/** Promise.all over `items`, with at most `n` calls of `fn` in flight; results in input order. */
export function mapBounded<T, R>(
  items: readonly T[],
  fn: (item: T, index: number) => Promise<R>,
  n = ROOM_READS_PER_REQUEST,
): Promise<R[]> {
  const limit = pLimit(n);
  return Promise.all(items.map((item, i) => limit(() => fn(item, i))));
}
