import type { IncomingMessage } from 'node:http';
import { AppError, OBJECT_ID_RE, toErrorBody } from '@chat/contracts';
import type { TokenVerifier } from '@chat/auth';
import type { Presence } from '@chat/delivery';
import type { RateLimits } from '../rate-limits';
import type { ChatNamespace, ChatSocket } from './chat-socket';

export interface HandshakeDeps {
  verifier: TokenVerifier;
  presence: Presence;
  limits?: RateLimits;
  maxSocketsPerUser?: number;
  /** The client behind trusted proxies (TRUST_PROXY); defaults to the peer address. */
  clientAddress?: (req: IncomingMessage) => string;
}

/**
 * Who may open a socket, in order: not while this edge drains, within the connect rate of the client's
 * address, with a valid token, under the per-user socket cap. A refusal reaches the client as a
 * connect_error whose `data` is the error body every transport uses.
 */
export function installHandshake(nsp: ChatNamespace, deps: HandshakeDeps, draining: () => boolean): void {
  nsp.use((_socket, next) => {
    if (!draining()) return next();
    refuse(next, new AppError('UNAVAILABLE', 'this edge is stopping: connect to another'));
  });
  nsp.use((socket, next) => {
    if (!deps.limits) return next();
    deps.limits
      .take('connect', deps.clientAddress ? deps.clientAddress(socket.request) : socket.handshake.address)
      .then(() => next())
      .catch((err: unknown) => refuse(next, err));
  });
  nsp.use((socket, next) => {
    const raw = (socket.handshake.auth as { token?: unknown } | undefined)?.token ?? socket.handshake.headers.authorization;
    const token = typeof raw === 'string' ? raw.replace(/^Bearer\s+/i, '') : raw;
    deps.verifier
      .verify(token)
      .then(async (identity) => {
        const max = deps.maxSocketsPerUser;
        // count and add in one step, or simultaneous connects would all see room under the cap
        if (max !== undefined && !(await deps.presence.claim(identity.userId, socket.id, max))) {
          throw new AppError('RATE_LIMITED', `at most ${max} connections per user`);
        }
        socket.data.identity = identity;
        next();
      })
      .catch((err: unknown) => refuse(next, err));
  });
}

/** The one mapping of a handshake refusal to the wire: the error's code as message, its body as data. */
function refuse(next: (err?: Error) => void, err: unknown): void {
  const body = toErrorBody(err);
  const e = new Error(body.error.code) as Error & { data?: unknown };
  e.data = body.error;
  next(e);
}

/** What the device says it already has, per room (handshake `auth.since`); validated by mergeSince. */
export function claimedSince(socket: ChatSocket): unknown {
  return (socket.handshake.auth as { since?: unknown } | undefined)?.since;
}

/**
 * The larger of the stored cursor and the device's own claim, per room; a malformed claim is ignored (it can
 * only cost its sender messages). The claim is also where the device's catch-ups start (see the gateway).
 */
export function mergeSince(cursors: Record<string, number>, since: unknown): Record<string, number> {
  if (!since || typeof since !== 'object' || Array.isArray(since)) return cursors;
  const out = { ...cursors };
  let n = 0;
  for (const [room, seq] of Object.entries(since as Record<string, unknown>)) {
    if (++n > 10_000) break;
    if (!OBJECT_ID_RE.test(room) || typeof seq !== 'number' || !Number.isSafeInteger(seq) || seq < 0) continue;
    // 0 is a claim too (the device has nothing in that room): its catch-up there starts at the beginning
    if (!Object.hasOwn(out, room) || seq > out[room]) out[room] = seq;
  }
  return out;
}
