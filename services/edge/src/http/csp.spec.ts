import { createHash } from 'node:crypto';
import { pageCsp } from './csp';

const sha = (s: string) => `'sha256-${createHash('sha256').update(s).digest('base64')}'`;

describe('pageCsp', () => {
  it('allows exactly the inline script and style blocks the page ships, and nothing inline besides', () => {
    const html = '<style>body{color:red}</style><script src="/x.js"></script><script>go()</script>';
    const csp = pageCsp(html);
    expect(csp).toContain(`script-src 'self' ${sha('go()')}`);
    expect(csp).toContain(`style-src ${sha('body{color:red}')}`);
    expect(csp).not.toContain('unsafe-inline');
    expect(csp).toContain("default-src 'none'");
    expect(csp).not.toContain(sha('evil()'));
  });
});
