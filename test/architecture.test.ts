import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import madge from 'madge';

const ROOT = join(__dirname, '..');

function grep(pattern: string, paths: string[]): string[] {
  try {
    return execFileSync('git', ['grep', '--untracked', '-nE', pattern, '--', ...paths], { cwd: ROOT, encoding: 'utf8' }).trim().split('\n').filter(Boolean);
  } catch {
    return []; // git grep exits 1 when nothing matches
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
    expect(res.circular()).toEqual([]);
  });

  it('imports other packages only through their index', () => {
    expect(grep(String.raw`from '@chat/[a-z-]+/`, ['libs', 'services', 'tools/stack/src'])).toEqual([]);
  });

  it('reads process.env only in the config library (and the dev/test launchers)', () => {
    const hits = grep(String.raw`process\.env`, ['libs', 'services']).filter((l) => !l.startsWith('libs/config/') && !l.includes('.spec.ts'));
    expect(hits).toEqual([]);
  });

  it('keeps I/O libraries out of use cases', () => {
    expect(grep(String.raw`from '(ioredis|amqplib|amqp-connection-manager|mongoose|socket\.io|express|bullmq)'`, ['services/*/src/usecases/*'])).toEqual([]);
  });
});
