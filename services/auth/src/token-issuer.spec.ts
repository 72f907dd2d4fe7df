import jwt from 'jsonwebtoken';
import { InvalidRequest, InvalidToken, TokenIssuer } from './token-issuer';

const opts = { secret: 's'.repeat(32), issuer: 'chat-auth', audience: 'chat', ttlSeconds: 60 };
const user = 'a'.repeat(24);

describe('TokenIssuer', () => {
  const issuer = new TokenIssuer(opts);

  it('round-trips an access token', () => {
    const { access_token } = issuer.issue({ userId: user, email: 'a@x', role: 'user' });
    const p = issuer.validate(access_token);
    expect(p).toMatchObject({ userId: user, email: 'a@x', role: 'user' });
    expect(p.expiresAt - p.issuedAt).toBe(60);
  });
  it('issues no refresh token, since nothing would redeem or revoke one', () => {
    expect(issuer.issue({ userId: user }).refresh_token).toBe('');
  });
  it('refuses a refresh token (as issued before) used as an access token', () => {
    const refresh = jwt.sign({ typ: 'refresh' }, opts.secret, { subject: user, issuer: 'chat-auth', audience: 'chat', expiresIn: 60 * 24 });
    expect(() => issuer.validate(refresh)).toThrow(InvalidToken);
  });
  it('refuses alg none, a wrong signature, a wrong audience and an expired token', () => {
    const none = jwt.sign({ typ: 'access', sub: user }, '', { algorithm: 'none', issuer: 'chat-auth', audience: 'chat' });
    const wrongKey = jwt.sign({ typ: 'access' }, 'x'.repeat(32), { subject: user, issuer: 'chat-auth', audience: 'chat', expiresIn: 60 });
    const wrongAud = jwt.sign({ typ: 'access' }, opts.secret, { subject: user, issuer: 'chat-auth', audience: 'other', expiresIn: 60 });
    const expired = jwt.sign({ typ: 'access', exp: Math.floor(Date.now() / 1000) - 10 }, opts.secret, {
      subject: user,
      issuer: 'chat-auth',
      audience: 'chat',
    });
    for (const t of [none, wrongKey, wrongAud, expired, 'garbage']) expect(() => issuer.validate(t)).toThrow(InvalidToken);
  });
  it('refuses a user id that is not a 24-hex id', () => {
    expect(() => issuer.issue({ userId: 'bob' })).toThrow(InvalidRequest);
  });
  it('mints only the roles the edge knows', () => {
    expect(() => issuer.issue({ userId: user, role: 'superuser' })).toThrow(InvalidRequest);
  });
});
