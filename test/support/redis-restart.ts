import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { canConnect, REPO_ROOT, waitForPort } from '@chat/stack';

/**
 * Restarts the machine's Redis as a process, the way it runs here and in `.ci/run` (no persistence, so
 * everything in it is gone afterwards). Only for the local infrastructure: a test that uses it must be the
 * only one running (jest runs the integration files in band).
 */
export async function restartLocalRedis(url: URL): Promise<void> {
  const host = url.hostname;
  const port = Number(url.port || 6379);
  const r = new Redis(url.toString(), { maxRetriesPerRequest: 0, retryStrategy: () => null, lazyConnect: true });
  r.on('error', () => undefined);
  await r.connect();
  await r.call('SHUTDOWN', 'NOSAVE').catch(() => undefined); // the server closes the connection as it goes
  r.disconnect();
  const deadline = Date.now() + 10_000;
  while (await canConnect(host, port)) {
    if (Date.now() > deadline) throw new Error('Redis did not stop');
    await new Promise((res) => setTimeout(res, 100));
  }
  const dir = join(REPO_ROOT, '.data', 'redis-restart');
  mkdirSync(dir, { recursive: true });
  const child = spawn(
    'redis-server',
    [
      '--daemonize',
      'yes',
      '--bind',
      '127.0.0.1',
      '-::1',
      '--port',
      String(port),
      '--save',
      '',
      '--appendonly',
      'no',
      '--dir',
      dir,
      '--logfile',
      join(dir, 'redis.log'),
    ],
    { stdio: 'ignore' },
  );
  const [code] = (await once(child, 'exit')) as [number | null];
  if (code !== 0) throw new Error(`redis-server exited with ${code}`);
  await waitForPort(host, port, 30_000, 'Redis');
}
