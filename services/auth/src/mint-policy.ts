import { createHash, timingSafeEqual } from 'node:crypto';

/** The gRPC metadata key a GenerateToken caller puts its credential under. */
export const MINT_KEY_HEADER = 'x-chat-mint-key';

export class MintRefused extends Error {
  constructor(
    readonly reason: 'unauthenticated' | 'forbidden',
    message: string,
  ) {
    super(message);
  }
}

export interface MintPolicyOptions {
  /** Development: anyone who reaches the service may mint any token. */
  open: boolean;
  /** The credential that mints role "user". */
  userKey?: string;
  /** The credential that may also mint role "admin"; unset, nobody can. */
  adminKey?: string;
}

// hashing first gives equal-length buffers, so timingSafeEqual does not leak the key's length either
const digest = (s: string) => createHash('sha256').update(s, 'utf8').digest();
const same = (a: string, b: string) => timingSafeEqual(digest(a), digest(b));

/** Who may ask the auth service for a token, and for which role. */
export class MintPolicy {
  constructor(private readonly options: MintPolicyOptions) {}

  get open(): boolean {
    return this.options.open;
  }

  check(presented: string | undefined, role: string): void {
    if (this.options.open) return;
    const given = presented ?? '';
    const isAdmin = this.options.adminKey !== undefined && same(given, this.options.adminKey);
    const isUser = this.options.userKey !== undefined && same(given, this.options.userKey);
    if (!isAdmin && !isUser) throw new MintRefused('unauthenticated', `GenerateToken needs the caller's credential in ${MINT_KEY_HEADER}`);
    if (role === 'admin' && !isAdmin) throw new MintRefused('forbidden', 'this caller may not mint admin tokens');
  }
}
