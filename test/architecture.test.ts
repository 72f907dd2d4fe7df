import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import madge from 'madge';

const ROOT = join(__dirname, '..');

function grep(pattern: string, paths: string[]): string[] {
  try {
    return execFileSync('git', ['grep', '--untracked', '-nE', pattern, '--', ...paths], {
      cwd: ROOT,
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'pipe'],
    })
      .trim()
      .split('\n')
      .filter(Boolean);
  } catch (err) {
    // git grep exits 1 with nothing on stderr when nothing matches; anything else (no git, not a repository) fails the check
    const e = err as { status?: number; stderr?: string };
    if (e.status === 1 && !e.stderr) return [];
    throw err;
  }
}

/** The layering rules a machine can check. */
describe('architecture', () => {
  it('has no circular imports in libs or services', async () => {
    const res = await madge([join(ROOT, 'libs'), join(ROOT, 'services')], {
      fileExtensions: ['ts'],
      excludeRegExp: [/\.spec\.ts$/, /dist\//, /node_modules/],
      tsConfig: join(ROOT, 'tsconfig.base.json'),
    });
    // it read the code: every service's entry point and the libraries it imports
    const modules = Object.keys(res.obj());
    for (const entry of ['edge', 'persistence', 'fanout', 'receipts', 'auth'])
      expect(modules.filter((m) => m.endsWith(`${entry}/src/main.ts`))).toHaveLength(1);
    expect(res.obj()[modules.find((m) => m.endsWith('edge/src/main.ts'))!].length).toBeGreaterThan(5);
    expect(res.circular()).toEqual([]);
  });

  it('searches the code it checks (the greps below see what is there)', () => {
    expect(grep(String.raw`from '@chat/contracts'`, ['services/*/src/usecases/*']).length).toBeGreaterThan(0);
    expect(grep(String.raw`process\.env`, ['libs/config']).length).toBeGreaterThan(0);
  });

  it('imports other packages only through their index', () => {
    expect(grep(String.raw`from '@chat/[a-z-]+/`, ['libs', 'services', 'tools/stack/src'])).toEqual([]);
  });

  it('reads process.env only in the config library (and the dev/test launchers)', () => {
    const hits = grep(String.raw`process\.env`, ['libs', 'services']).filter(
      (l) => !l.startsWith('libs/config/') && !l.includes('.spec.ts'),
    );
    expect(hits).toEqual([]);
  });

  it('keeps I/O libraries out of use cases', () => {
    expect(
      grep(String.raw`from '(ioredis|amqplib|amqp-connection-manager|mongoose|socket\.io|express|bullmq)'`, ['services/*/src/usecases/*']),
    ).toEqual([]);
  });
});
