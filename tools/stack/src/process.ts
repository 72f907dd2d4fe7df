import { spawn, type ChildProcess } from 'node:child_process';
import { createWriteStream, mkdirSync, type WriteStream } from 'node:fs';
import { join } from 'node:path';

export interface ManagedProcess {
  name: string;
  child: ChildProcess;
  /** Resolves when a stdout line contains `ready` (a log message), rejects if the process exits first. */
  ready: Promise<void>;
  exited: Promise<number | null>;
}

export interface SpawnOptions {
  name: string;
  command: string;
  args: string[];
  env: NodeJS.ProcessEnv;
  readyLine: RegExp;
  logDir?: string;
  /** Called with every output line (npm start prints them with a prefix). */
  onLine?: (name: string, line: string) => void;
  readyTimeoutMs?: number;
}

export function spawnManaged(o: SpawnOptions): ManagedProcess {
  const child = spawn(o.command, o.args, { env: o.env, stdio: ['ignore', 'pipe', 'pipe'] });
  let log: WriteStream | null = null;
  if (o.logDir) {
    mkdirSync(o.logDir, { recursive: true });
    log = createWriteStream(join(o.logDir, `${o.name}.log`), { flags: 'a' });
  }
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  const ready = new Promise<void>((resolve, reject) => {
    const timer = setTimeout(
      () => reject(new Error(`${o.name} was not ready within ${o.readyTimeoutMs ?? 60000} ms`)),
      o.readyTimeoutMs ?? 60000,
    );
    timer.unref();
    let tail = '';
    const onData = (buf: Buffer) => {
      log?.write(buf);
      const text = tail + buf.toString('utf8');
      const lines = text.split('\n');
      tail = lines.pop() ?? '';
      for (const line of lines) {
        o.onLine?.(o.name, line);
        if (o.readyLine.test(line)) {
          clearTimeout(timer);
          resolve();
        }
      }
    };
    child.stdout.on('data', onData);
    child.stderr.on('data', onData);
    void exited.then((code) => {
      clearTimeout(timer);
      reject(new Error(`${o.name} exited with code ${code} before it was ready (see ${o.logDir ?? 'its output'})`));
    });
  });
  ready.catch(() => undefined);
  return { name: o.name, child, ready, exited };
}

export async function stopProcess(p: ManagedProcess, signal: NodeJS.Signals = 'SIGTERM', timeoutMs = 15000): Promise<number | null> {
  if (p.child.exitCode !== null || p.child.signalCode !== null) return p.child.exitCode;
  p.child.kill(signal);
  const timer = setTimeout(() => p.child.kill('SIGKILL'), timeoutMs);
  const code = await p.exited;
  clearTimeout(timer);
  return code;
}
