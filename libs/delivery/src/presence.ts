import type { Redis } from 'ioredis';

/**
 * Who is online: per user, a sorted set of live socket ids scored by when they expire. Edges refresh
 * their sockets on a heartbeat, so a crashed edge's sockets expire instead of lingering as ghosts.
 */
export class Presence {
  constructor(
    private readonly redis: Redis,
    private readonly ns: string,
    private readonly ttlMs: number,
  ) {}

  private key(userId: string): string {
    return `${this.ns}:presence:${userId}`;
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
      p.zadd(this.key(e.userId), expires, e.socketId);
      p.pexpire(this.key(e.userId), this.ttlMs);
    }
    const res = (await p.exec()) ?? [];
    return entries.filter((_, i) => Number(res[i * 2]?.[1] ?? 0) > 0);
  }

  /**
   * Extends the sockets Redis still has, without re-adding missing ones; returns the missing entries. The
   * caller holds those sockets' deliveries, then `refresh`es them back and catches their users up: in that
   * order no live delivery can overtake the catch-up.
   */
  async touch(entries: Array<{ userId: string; socketId: string }>): Promise<Array<{ userId: string; socketId: string }>> {
    if (entries.length === 0) return [];
    const expires = Date.now() + this.ttlMs;
    const p = this.redis.pipeline();
    for (const e of entries) {
      p.zadd(this.key(e.userId), 'XX', 'CH', expires, e.socketId);
      p.pexpire(this.key(e.userId), this.ttlMs);
    }
    const res = (await p.exec()) ?? [];
    res.forEach(([err]) => {
      if (err) throw err;
    });
    return entries.filter((_, i) => Number(res[i * 2]?.[1] ?? 0) === 0);
  }

  async offline(userId: string, socketId: string): Promise<void> {
    await this.redis.zrem(this.key(userId), socketId);
  }

  /** How many unexpired sockets the user has. */
  async count(userId: string): Promise<number> {
    return this.redis.zcount(this.key(userId), Date.now(), '+inf');
  }

  /** The subset of users with at least one unexpired socket. */
  async whoIsOnline(userIds: string[]): Promise<Set<string>> {
    const unique = [...new Set(userIds)];
    if (unique.length === 0) return new Set();
    const now = Date.now();
    const p = this.redis.pipeline();
    for (const u of unique) p.zcount(this.key(u), now, '+inf');
    const res = (await p.exec()) ?? [];
    const online = new Set<string>();
    res.forEach(([err, n], i) => {
      if (err) throw err;
      if (Number(n) > 0) online.add(unique[i]);
    });
    return online;
  }
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
