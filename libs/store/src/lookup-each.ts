/**
 * Lookups by _id in flight at once. FerretDB v1 pushes an _id equality down to PostgreSQL but answers
 * `$in` by reading the whole collection (docs/ferretdb.md); MongoDB answers either from the _id index. 16
 * stays within one driver pool (20 connections by default).
 */
const LOOKUP_CONCURRENCY = 16;

/** One lookup per item, LOOKUP_CONCURRENCY at a time; what is found, in the items' order. */
export async function lookupEach<T, R>(items: readonly T[], find: (item: T) => Promise<R | null>): Promise<R[]> {
  const found: R[] = [];
  for (let i = 0; i < items.length; i += LOOKUP_CONCURRENCY) {
    for (const d of await Promise.all(items.slice(i, i + LOOKUP_CONCURRENCY).map(find))) if (d) found.push(d);
  }
  return found;
}
