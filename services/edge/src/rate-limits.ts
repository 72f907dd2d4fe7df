import type { Redis } from 'ioredis';
import { RateLimiterMemory, RateLimiterRedis, type RateLimiterRes } from 'rate-limiter-flexible';
import { RateLimited } from '@chat/contracts';

export type LimitKind = 'write' | 'rest' | 'restIp' | 'connect' | 'login';

export interface LimitConfig {
  windowS: number;
  writesPerUser: number;
  restPerUser: number;
  connectsPerIp: number;
  restPerIp: number;
  loginsPerIp: number;
}

/**
 * Per-user (the token's user) and per-IP (the client address, see TRUST_PROXY) limits shared by every edge (counters in Redis). If Redis cannot answer, each edge
 * falls back to its own in-memory counters rather than refusing everyone or letting everything through.
 */
export class RateLimits {
  private readonly limiters: Record<LimitKind, RateLimiterRedis>;

  constructor(redis: Redis, ns: string, c: LimitConfig) {
    const make = (kind: string, points: number) =>
      new RateLimiterRedis({
        storeClient: redis,
        keyPrefix: `${ns}:rl:${kind}`,
        points,
        duration: c.windowS,
        insuranceLimiter: new RateLimiterMemory({ points, duration: c.windowS }),
      });
    this.limiters = {
      write: make('write', c.writesPerUser),
      rest: make('rest', c.restPerUser),
      restIp: make('rest-ip', c.restPerIp),
      connect: make('connect', c.connectsPerIp),
      login: make('login', c.loginsPerIp),
    };
  }

  /** Takes one point, or throws RateLimited with the time until the next point is free. */
  async take(kind: LimitKind, key: string): Promise<void> {
    try {
      await this.limiters[kind].consume(key);
    } catch (res) {
      if (res instanceof Error) throw res;
      throw new RateLimited(Math.max(1, (res as RateLimiterRes).msBeforeNext));
    }
  }
}
