import * as grpc from '@grpc/grpc-js';
import { createHash } from 'node:crypto';
import { LRUCache } from 'lru-cache';
import { authLookups } from '@chat/ops';
import { isObjectId, Unauthenticated, Unavailable } from '@chat/contracts';
import type { AuthServiceClient, UserPayload } from './proto';

export interface Identity {
  userId: string;
  email: string;
  role: string;
  deviceId: string;
  /** Unix seconds. */
  expiresAt: number;
}

export interface VerifierStats {
  hits: number;
  misses: number;
}

/** A compact JWS: three base64url parts; anything else is refused without asking the auth service. */
const JWS_SHAPE = /^[\w-]+\.[\w-]+\.[\w-]*$/;

/**
 * Checks access tokens with the auth service over gRPC, with a deadline, and caches each valid answer
 * until its token expires (bounded LRU), so a busy socket does not call auth per event. Refusals are
 * cached too, for a short while, so a client repeating a bad token costs one call, not one per request.
 * Fails closed: when auth cannot answer, the caller gets Unavailable, never an identity.
 */
export class TokenVerifier {
  private readonly cache: LRUCache<string, Identity>;
  private readonly refused: LRUCache<string, true>;
  readonly stats: VerifierStats = { hits: 0, misses: 0 };

  constructor(
    private readonly client: AuthServiceClient,
    private readonly opts: { timeoutMs: number; cacheMax: number; refusalTtlMs?: number; now?: () => number },
  ) {
    this.cache = new LRUCache<string, Identity>({ max: Math.max(1, opts.cacheMax), ttlAutopurge: false });
    this.refused = new LRUCache<string, true>({
      max: Math.max(1, Math.min(opts.cacheMax, 10_000)),
      ttl: opts.refusalTtlMs ?? 30_000,
      ttlAutopurge: false,
    });
  }

  async verify(token: unknown): Promise<Identity> {
    if (typeof token !== 'string' || token.length === 0 || token.length > 8192 || !JWS_SHAPE.test(token)) throw new Unauthenticated();
    const key = createHash('sha256').update(token).digest('base64url');
    if (this.refused.has(key)) {
      authLookups.inc({ result: 'refused_cached' });
      throw new Unauthenticated('token is not valid');
    }
    const now = (this.opts.now ?? Date.now)();
    const hit = this.cache.get(key);
    if (hit && hit.expiresAt * 1000 > now) {
      this.stats.hits++;
      authLookups.inc({ result: 'hit' });
      return hit;
    }
    this.stats.misses++;
    authLookups.inc({ result: 'miss' });
    let payload: UserPayload;
    try {
      payload = await this.call(token);
    } catch (err) {
      authLookups.inc({ result: err instanceof Unauthenticated ? 'refused' : 'unavailable' });
      // only a refusal is remembered: an unavailable auth service says nothing about the token
      if (err instanceof Unauthenticated && this.opts.cacheMax > 0) this.refused.set(key, true);
      throw err;
    }
    if (!isObjectId(payload.userId) || !(payload.expiresAt * 1000 > now)) {
      if (this.opts.cacheMax > 0) this.refused.set(key, true);
      throw new Unauthenticated('token is not valid');
    }
    const identity: Identity = {
      userId: payload.userId,
      email: payload.email,
      role: payload.role,
      deviceId: payload.deviceId,
      expiresAt: payload.expiresAt,
    };
    if (this.opts.cacheMax > 0) this.cache.set(key, identity, { ttl: Math.max(1, payload.expiresAt * 1000 - now) });
    return identity;
  }

  /** Readiness: the auth service answers (refusing a token that cannot be valid is an answer). */
  async ping(): Promise<void> {
    try {
      await this.call('readiness-probe');
    } catch (err) {
      if (!(err instanceof Unauthenticated)) throw err;
    }
  }

  private call(token: string): Promise<UserPayload> {
    return new Promise((resolve, reject) => {
      const deadline = new Date(Date.now() + this.opts.timeoutMs);
      this.client.ValidateToken({ access_token: token }, new grpc.Metadata(), { deadline }, (err, res) => {
        if (!err && res) return resolve(res);
        if (
          err &&
          (err.code === grpc.status.UNAUTHENTICATED ||
            err.code === grpc.status.INVALID_ARGUMENT ||
            err.code === grpc.status.PERMISSION_DENIED)
        ) {
          return reject(new Unauthenticated('token is not valid'));
        }
        reject(new Unavailable('auth service unavailable'));
      });
    });
  }
}
