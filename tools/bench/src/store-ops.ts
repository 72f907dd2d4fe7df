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
