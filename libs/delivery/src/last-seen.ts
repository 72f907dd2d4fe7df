import type { Redis } from 'ioredis';
import { presenceKey } from './presence';

/** KEYS[1] state hash. Marks the user announced online; 1 if it was not (the caller tells the contacts). */
const ONLINE_LUA = `
if redis.call('HGET', KEYS[1], 'on') == '1' then return 0 end
redis.call('HSET', KEYS[1], 'on', '1')
redis.call('PEXPIRE', KEYS[1], ARGV[1])
return 1`;

/**
 * KEYS[1] state hash, KEYS[2] presence set; ARGV: now, TTL. If the user has no live socket left on any edge
 * and is still announced online, marks it offline and returns when its last socket closed (the caller tells
 * the contacts); otherwise false. In one step, so two edges settling at once announce it once.
 */
const SETTLE_LUA = `
if redis.call('ZCOUNT', KEYS[2], ARGV[1], '+inf') > 0 then return false end
if redis.call('HGET', KEYS[1], 'on') ~= '1' then return false end
redis.call('HSET', KEYS[1], 'on', '0')
redis.call('PEXPIRE', KEYS[1], ARGV[2])
return redis.call('HGET', KEYS[1], 'last') or ARGV[1]`;

/** How long a user's last-seen time is kept after it was last written. */
const LAST_SEEN_TTL_MS = 90 * 86_400_000;

type WithScripts = Redis & {
  chatSeenOnline: (key: string, ttl: number) => Promise<number>;
  chatSeenSettle: (key: string, presence: string, now: number, ttl: number) => Promise<string | null>;
};

/**
 * What the users' contacts were last told about them (online or not) and when each user's last socket
 * closed, per user in Redis (`<ns>:seen:<user>`). The live sockets themselves are Presence's: a user is
 * online while any unexpired entry names it. Transitions are decided here in one Redis step each, so a
 * user with sockets on several edges is announced once, and a reconnect within the grace announces nothing.
 */
export class LastSeen {
  constructor(
    private readonly redis: Redis,
    private readonly ns: string,
  ) {
    if (!('chatSeenOnline' in redis)) redis.defineCommand('chatSeenOnline', { numberOfKeys: 1, lua: ONLINE_LUA });
    if (!('chatSeenSettle' in redis)) redis.defineCommand('chatSeenSettle', { numberOfKeys: 2, lua: SETTLE_LUA });
  }

  private key(userId: string): string {
    return `${this.ns}:seen:${userId}`;
  }

  /** True if the user was not announced online (it is now: tell its contacts). */
  async cameOnline(userId: string): Promise<boolean> {
    return Number(await (this.redis as WithScripts).chatSeenOnline(this.key(userId), LAST_SEEN_TTL_MS)) === 1;
  }

  /** One of the user's sockets closed now: the last one to close is when the user was last seen. */
  async socketClosed(userId: string, at = Date.now()): Promise<void> {
    await this.redis.pipeline().hset(this.key(userId), 'last', String(at)).pexpire(this.key(userId), LAST_SEEN_TTL_MS).exec();
  }

  /** After the grace: when the user was last seen, if it has just gone offline (tell its contacts); else null. */
  async settleOffline(userId: string): Promise<Date | null> {
    const r = await (this.redis as WithScripts).chatSeenSettle(
      this.key(userId),
      presenceKey(this.ns, userId),
      Date.now(),
      LAST_SEEN_TTL_MS,
    );
    return r === null || r === undefined ? null : new Date(Number(r));
  }

  /** Per user: online (an unexpired socket anywhere) and, when not, when its last socket closed (null: unknown). */
  async read(userIds: string[]): Promise<Map<string, { online: boolean; lastSeenAt: Date | null }>> {
    const out = new Map<string, { online: boolean; lastSeenAt: Date | null }>();
    if (userIds.length === 0) return out;
    const p = this.redis.pipeline();
    const now = Date.now();
    for (const u of userIds) p.zcount(presenceKey(this.ns, u), now, '+inf').hget(this.key(u), 'last');
    const res = (await p.exec()) ?? [];
    userIds.forEach((u, i) => {
      const [e1, count] = res[i * 2] ?? [];
      const [e2, last] = res[i * 2 + 1] ?? [];
      if (e1) throw e1;
      if (e2) throw e2;
      const online = Number(count) > 0;
      out.set(u, { online, lastSeenAt: !online && last ? new Date(Number(last)) : null });
    });
    return out;
  }
}
