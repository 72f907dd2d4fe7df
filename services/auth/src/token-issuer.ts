import jwt, { type JwtPayload } from 'jsonwebtoken';
import { isObjectId } from '@chat/contracts';
import type { TokenPayload, TokenResponse, UserPayload } from '@chat/auth';

export interface IssuerOptions {
  secret: string;
  issuer: string;
  audience: string;
  ttlSeconds: number;
}

export class InvalidToken extends Error {}
export class InvalidRequest extends Error {}

/** Signs and checks HS256 JWTs. Only HS256 is accepted, so `alg: none` and algorithm swaps fail. */
export class TokenIssuer {
  constructor(private readonly options: IssuerOptions) {}

  /**
   * An access token only: `refresh_token` stays empty. Nothing redeemed or revoked refresh tokens, so one
   * was a longer-lived credential with no use but to be stolen; clients ask their token issuer again.
   */
  issue(p: TokenPayload): TokenResponse {
    if (!isObjectId(p.userId)) throw new InvalidRequest('userId must be a 24-character hex id');
    const role = p.role || 'user';
    if (role !== 'user' && role !== 'admin') throw new InvalidRequest('role must be "user" or "admin"');
    const claims = { email: p.email ?? '', role, deviceId: p.deviceId ?? '' };
    const common = { algorithm: 'HS256' as const, issuer: this.options.issuer, audience: this.options.audience, subject: p.userId };
    return {
      access_token: jwt.sign({ ...claims, typ: 'access' }, this.options.secret, { ...common, expiresIn: this.options.ttlSeconds }),
      refresh_token: '',
    };
  }

  validate(token: string): UserPayload {
    let c: JwtPayload;
    try {
      c = jwt.verify(token, this.options.secret, {
        algorithms: ['HS256'],
        issuer: this.options.issuer,
        audience: this.options.audience,
      }) as JwtPayload;
    } catch (err) {
      throw new InvalidToken((err as Error).message);
    }
    if (c.typ !== 'access' || !isObjectId(c.sub) || typeof c.exp !== 'number' || typeof c.iat !== 'number') {
      throw new InvalidToken('not an access token');
    }
    return {
      userId: c.sub,
      email: String(c.email ?? ''),
      role: String(c.role ?? 'user'),
      deviceId: String(c.deviceId ?? ''),
      issuedAt: c.iat,
      expiresAt: c.exp,
    };
  }
}
