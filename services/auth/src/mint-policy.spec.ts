import { MintPolicy, MintRefused } from './mint-policy';

const user = 'u'.repeat(32);
const admin = 'a'.repeat(32);

function refusal(f: () => void): string | undefined {
  try {
    f();
    return undefined;
  } catch (err) {
    return err instanceof MintRefused ? err.reason : 'other';
  }
}

describe('MintPolicy', () => {
  it('closed: no credential or a wrong one is refused, whatever the role', () => {
    const p = new MintPolicy({ open: false, userKey: user, adminKey: admin });
    expect(refusal(() => p.check(undefined, 'user'))).toBe('unauthenticated');
    expect(refusal(() => p.check('', 'user'))).toBe('unauthenticated');
    expect(refusal(() => p.check(user.slice(1), 'user'))).toBe('unauthenticated');
    expect(refusal(() => p.check(`${user}x`, 'admin'))).toBe('unauthenticated');
  });

  it('closed: the user credential mints users only; the admin credential mints both', () => {
    const p = new MintPolicy({ open: false, userKey: user, adminKey: admin });
    expect(refusal(() => p.check(user, 'user'))).toBeUndefined();
    expect(refusal(() => p.check(user, 'admin'))).toBe('forbidden');
    expect(refusal(() => p.check(admin, 'admin'))).toBeUndefined();
    expect(refusal(() => p.check(admin, 'user'))).toBeUndefined();
  });

  it('closed without an admin credential: nobody mints admin', () => {
    const p = new MintPolicy({ open: false, userKey: user });
    expect(refusal(() => p.check(user, 'admin'))).toBe('forbidden');
  });

  it('open (development): anyone mints anything', () => {
    const p = new MintPolicy({ open: true });
    expect(refusal(() => p.check(undefined, 'admin'))).toBeUndefined();
  });
});
