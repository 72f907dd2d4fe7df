import type { Redis } from 'ioredis';

/** How fanout handed one message on: to how many recipients live (through which edges), how many parked. */
export interface FanoutRecord {
  messageId: string;
  at: number;
  online: number;
  parked: number;
  /** The edges it was published to (distinct). */
  edges: string[];
  /** A repeat of a message stored earlier: recorded only when no fan-out of it was. */
  replay: boolean;
  /** When it was stored, and the edge that accepted it (kept here rather than in the stored message). */
  storedAt?: number;
  acceptedBy?: string;
}

/** A message's fan-out as recorded, with when it was stored and the edge that accepted it (kept here, not in the store). */
export interface FanoutTrace {
  at: number;
  online: number;
  parked: number;
  edges: string[];
  edgeCount: number;
  storedAt?: number;
  acceptedBy?: string;
}

export interface TraceRecord {
  fannedOut: FanoutTrace | null;
  /** When a receipts worker first saw a delivered cursor move end at this message (for the stage histograms). */
  deliveredAt: number | null;
}

/** Edge ids kept per record: a large group's message reaches many edges, and the count says enough then. */
const MAX_EDGES = 16;

/**
 * What the pipeline knows of a message's path and the store does not keep: its fan-out (fanout worker) and
 * the first delivered receipt that named it (receipts worker). One small Redis hash per message that
 * expires after `ttlMs` (0: nothing is recorded), written in one pipeline per batch, never per message.
 */
export class DeliveryTraces {
  constructor(
    private readonly redis: Redis,
    private readonly ns: string,
    private readonly ttlMs: number,
  ) {}

  private key(messageId: string): string {
    return `${this.ns}:trace:${messageId}`;
  }

  async recordFanout(list: FanoutRecord[]): Promise<void> {
    if (this.ttlMs <= 0 || list.length === 0) return;
    const p = this.redis.pipeline();
    for (const r of list) {
      const edges = [...new Set(r.edges)];
      const value = JSON.stringify({
        t: r.at,
        on: r.online,
        pk: r.parked,
        e: edges.slice(0, MAX_EDGES),
        ne: edges.length,
        ...(r.storedAt !== undefined ? { s: r.storedAt } : {}),
        ...(r.acceptedBy !== undefined ? { a: r.acceptedBy } : {}),
      });
      const key = this.key(r.messageId);
      if (r.replay) p.hsetnx(key, 'f', value);
      else p.hset(key, 'f', value);
      p.pexpire(key, this.ttlMs);
    }
    await p.exec();
  }

  async read(ids: string[]): Promise<Map<string, TraceRecord>> {
    return this.readAndMarkDelivered(ids, []);
  }

  /**
   * Reads the records of `ids` and, in the same round trip, notes the first delivered time of the messages
   * in `delivered` (a later one changes nothing).
   */
  async readAndMarkDelivered(ids: string[], delivered: Array<{ messageId: string; at: number }>): Promise<Map<string, TraceRecord>> {
    const out = new Map<string, TraceRecord>();
    if (ids.length === 0 && delivered.length === 0) return out;
    const p = this.redis.pipeline();
    for (const id of ids) p.hmget(this.key(id), 'f', 'd');
    if (this.ttlMs > 0)
      for (const d of delivered) {
        p.hsetnx(this.key(d.messageId), 'd', String(d.at));
        p.pexpire(this.key(d.messageId), this.ttlMs, 'NX');
      }
    const results = (await p.exec()) ?? [];
    ids.forEach((id, i) => {
      const [err, value] = results[i] ?? [];
      if (err) throw err;
      const [f, d] = (value as Array<string | null>) ?? [];
      out.set(id, { fannedOut: parseFanout(f), deliveredAt: d && Number.isFinite(Number(d)) ? Number(d) : null });
    });
    return out;
  }
}

function parseFanout(raw: string | null | undefined): TraceRecord['fannedOut'] {
  if (!raw) return null;
  try {
    const r = JSON.parse(raw) as { t?: unknown; on?: unknown; pk?: unknown; e?: unknown; ne?: unknown; s?: unknown; a?: unknown };
    if (typeof r.t !== 'number') return null;
    const num = (v: unknown) => (typeof v === 'number' && Number.isFinite(v) ? v : 0);
    const edges = Array.isArray(r.e) ? r.e.filter((e): e is string => typeof e === 'string') : [];
    return {
      at: r.t,
      online: num(r.on),
      parked: num(r.pk),
      edges,
      edgeCount: Math.max(edges.length, num(r.ne)),
      ...(typeof r.s === 'number' && Number.isFinite(r.s) ? { storedAt: r.s } : {}),
      ...(typeof r.a === 'string' ? { acceptedBy: r.a } : {}),
    };
  } catch {
    return null;
  }
}
