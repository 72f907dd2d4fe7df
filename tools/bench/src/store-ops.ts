export interface StoreOp {
  service: string;
  op: string;
  count: number;
  /** Mean time of one call as the service saw it (waiting for the store included), in ms. */
  meanMs: number;
}

/**
 * The store calls the services timed during the run (`chat_store_op_seconds`, from each service's
 * /metrics text), summed over copies of a service: how many of each, and how long one took on average.
 */
export function storeOps(metricsTexts: string[]): StoreOp[] {
  const acc = new Map<string, { service: string; op: string; count: number; sum: number }>();
  const line = /^chat_store_op_seconds_(sum|count)\{([^}]*)\} (\S+)$/gm;
  for (const text of metricsTexts) {
    for (const m of text.matchAll(line)) {
      const labels = Object.fromEntries([...m[2].matchAll(/(\w+)="([^"]*)"/g)].map((l) => [l[1], l[2]]));
      const key = `${labels.service}|${labels.op}`;
      const a = acc.get(key) ?? { service: labels.service ?? '?', op: labels.op ?? '?', count: 0, sum: 0 };
      if (m[1] === 'count') a.count += Number(m[3]);
      else a.sum += Number(m[3]);
      acc.set(key, a);
    }
  }
  return [...acc.values()]
    .filter((a) => a.count > 0)
    .map((a) => ({ service: a.service, op: a.op, count: a.count, meanMs: Math.round((a.sum / a.count) * 10000) / 10 }))
    .sort((a, b) => b.count - a.count);
}

/** What was called between two readings of the same services' metrics (`after` minus `before`). */
export function storeOpsBetween(before: StoreOp[], after: StoreOp[]): StoreOp[] {
  const was = new Map(before.map((o) => [`${o.service}|${o.op}`, o]));
  return after
    .map((o) => {
      const b = was.get(`${o.service}|${o.op}`);
      const count = o.count - (b?.count ?? 0);
      const meanMs = count > 0 ? Math.round(((o.meanMs * o.count - (b ? b.meanMs * b.count : 0)) / count) * 10) / 10 : 0;
      return { service: o.service, op: o.op, count, meanMs };
    })
    .filter((o) => o.count > 0)
    .sort((a, b) => b.count - a.count);
}
