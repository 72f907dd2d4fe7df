import type { Redis } from 'ioredis';

/** KEYS[1] presence key; ARGV: socket id, the score below which the entry counts as lost, the new score, the TTL (ms). */
const TOUCH_LUA = `
local score = redis.call('ZSCORE', KEYS[1], ARGV[1])
if score and tonumber(score) >= tonumber(ARGV[2]) then
  redis.call('ZADD', KEYS[1], ARGV[3], ARGV[1])
  redis.call('PEXPIRE', KEYS[1], ARGV[4])
  return 1
end
return 0`;

/** Between the edge's id and the socket's id in a presence entry (neither contains it). */
const SEP = '|';

/** An entry's edge, or ANY_EDGE for an entry that names none (written by an edge that predates the naming). */
export const ANY_EDGE = '*';

/**
 * KEYS[1] presence key; ARGV: socket id, now, the new score, the TTL (ms), the most live sockets. Counts the
 * unexpired entries and adds this one only under the cap, in one step: concurrent connects cannot all pass.
 */
const CLAIM_LUA = `
if redis.call('ZSCORE', KEYS[1], ARGV[1]) == false and redis.call('ZCOUNT', KEYS[1], ARGV[2], '+inf') >= tonumber(ARGV[5]) then
  return 0
end
redis.call('ZADD', KEYS[1], ARGV[3], ARGV[1])
redis.call('PEXPIRE', KEYS[1], ARGV[4])
return 1`;

/**
 * Who is online and where: per user, a sorted set of live sockets (`<edge id>|<socket id>`) scored by when
 * they expire. Edges refresh their sockets on a heartbeat, so a crashed edge's sockets expire instead of
 * lingering as ghosts. The edge id lets fanout send each delivery only to the edges holding the user.
 */
export class Presence {
  constructor(
    private readonly redis: Redis,
    private readonly ns: string,
    private readonly ttlMs: number,
    /** The edge writing entries (edges only; workers read). */
    private readonly edgeId: string | null = null,
  ) {
    if (edgeId !== null && (edgeId === '' || edgeId.includes(SEP)))
      throw new Error(`an edge id must be non-empty and must not contain '${SEP}'`);
    // one round trip per socket, atomic: extend the entry only if it exists and has not (nearly) expired
    if (!('chatPresenceTouch' in redis)) redis.defineCommand('chatPresenceTouch', { numberOfKeys: 1, lua: TOUCH_LUA });
    if (!('chatPresenceClaim' in redis)) redis.defineCommand('chatPresenceClaim', { numberOfKeys: 1, lua: CLAIM_LUA });
  }

  /** Marks a socket online if its user has fewer than `max` live sockets; false (nothing written) otherwise. */
  async claim(userId: string, socketId: string, max: number): Promise<boolean> {
    const now = Date.now();
    const r = await (this.redis as Redis & { chatPresenceClaim: (...args: Array<string | number>) => Promise<number> }).chatPresenceClaim(
      this.key(userId),
      this.member(socketId),
      now,
      now + this.ttlMs,
      this.ttlMs,
      max,
    );
    return Number(r) === 1;
  }

  private key(userId: string): string {
    return presenceKey(this.ns, userId);
  }

  private member(socketId: string): string {
    return this.edgeId === null ? socketId : `${this.edgeId}${SEP}${socketId}`;
  }

  async online(userId: string, socketId: string): Promise<void> {
    await this.refresh([{ userId, socketId }]);
  }

  /**
   * Re-marks sockets online; returns the entries Redis did not have (it restarted or lost its data), whose
   * users may have had messages parked meanwhile although they were connected.
   */
  async refresh(entries: Array<{ userId: string; socketId: string }>): Promise<Array<{ userId: string; socketId: string }>> {
    if (entries.length === 0) return [];
    const expires = Date.now() + this.ttlMs;
    const p = this.redis.pipeline();
    for (const e of entries) {
      p.zadd(this.key(e.userId), expires, this.member(e.socketId));
      p.pexpire(this.key(e.userId), this.ttlMs);
    }
    const res = (await p.exec()) ?? [];
    return entries.filter((_, i) => Number(res[i * 2]?.[1] ?? 0) > 0);
  }

  /**
   * Extends the sockets whose entries are still comfortably alive, without touching the others; returns
   * those others. An entry is lost when Redis no longer has it (restart, flush) and also when its expiry
   * has passed or nearly passed (the heartbeat ran late: a starved event loop, a long GC): fanout judges
   * presence by that expiry, so it may already have parked the user's messages although the socket is
   * connected, and the key itself can outlive the score by the round trip that set them. Lost entries are
   * not extended here: the caller holds their deliveries, then `refresh`es them and catches the users up,
   * and in that order no live delivery can overtake the catch-up. The margin (a third of the TTL, the
   * heartbeat's own period) also covers clock skew between edges and fanout workers up to that much.
   */
  async touch(entries: Array<{ userId: string; socketId: string }>): Promise<Array<{ userId: string; socketId: string }>> {
    if (entries.length === 0) return [];
    const now = Date.now();
    const p = this.redis.pipeline() as ReturnType<Redis['pipeline']> & { chatPresenceTouch: (...args: Array<string | number>) => unknown };
    for (const e of entries)
      p.chatPresenceTouch(this.key(e.userId), this.member(e.socketId), now + Math.floor(this.ttlMs / 3), now + this.ttlMs, this.ttlMs);
    const res = (await p.exec()) ?? [];
    res.forEach(([err]) => {
      if (err) throw err;
    });
    return entries.filter((_, i) => Number(res[i]?.[1] ?? 0) === 0);
  }

  async offline(userId: string, socketId: string): Promise<void> {
    await this.redis.zrem(this.key(userId), this.member(socketId));
  }

  /** How many unexpired sockets the user has. */
  async count(userId: string): Promise<number> {
    return this.redis.zcount(this.key(userId), Date.now(), '+inf');
  }

  /** Per online user, the edges holding its unexpired sockets (ANY_EDGE for an entry naming none). */
  async whereOnline(userIds: string[]): Promise<Map<string, Set<string>>> {
    const unique = [...new Set(userIds)];
    const where = new Map<string, Set<string>>();
    if (unique.length === 0) return where;
    const p = this.redis.pipeline();
    for (const u of unique) p.zrangebyscore(this.key(u), Date.now(), '+inf');
    const res = (await p.exec()) ?? [];
    res.forEach(([err, members], i) => {
      if (err) throw err;
      const list = members as string[];
      if (list.length === 0) return;
      where.set(unique[i], new Set(list.map((m) => (m.includes(SEP) ? m.slice(0, m.indexOf(SEP)) : ANY_EDGE))));
    });
    return where;
  }
}

/** The Redis key of a user's live sockets. */
export function presenceKey(ns: string, userId: string): string {
  return `${ns}:presence:${userId}`;
}

/** True for ioredis errors that mean "Redis is unreachable right now" (retry later), not a bad command. */
export function isRedisUnavailable(err: unknown): boolean {
  const e = err as { name?: string; message?: string; code?: string } | null;
  if (!e) return false;
  return (
    e.name === 'MaxRetriesPerRequestError' ||
    ['ECONNREFUSED', 'ECONNRESET', 'EPIPE', 'ETIMEDOUT', 'ENOTFOUND'].includes(e.code ?? '') ||
    /Connection is closed|Stream isn't writeable|enableOfflineQueue/i.test(e.message ?? '')
  );
}
