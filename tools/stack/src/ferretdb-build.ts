import { spawn, execFileSync } from 'node:child_process';
import { accessSync, constants, createWriteStream, existsSync, mkdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { delimiter, join, resolve } from 'node:path';

const REPO = resolve(__dirname, '..', '..', '..');
export const FERRETDB_VERSION = 'v1.24.2';
const BUILD_SCRIPT = join(REPO, 'tools', 'ferretdb', 'build.sh');
const BIN = join(REPO, 'tools', 'ferretdb', 'bin', 'ferretdb');
const LOCK = join(REPO, '.data', 'ferretdb-build.lock');
const LOG = join(REPO, '.data', 'ferretdb-build.log');
/** FerretDB v1.24's go.mod asks for Go 1.24; Go 1.21 and newer fetch that toolchain themselves (GOTOOLCHAIN=auto). */
const MIN_GO: [number, number] = [1, 21];

const MONGO_HINT = 'Or run against a MongoDB instead, which needs no FerretDB: MONGO_URL=mongodb://127.0.0.1:27017/chat npm start';

function executable(path: string): boolean {
  try {
    accessSync(path, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

/** The `go` command: on PATH, or where Go's own installer and `go install golang.org/dl/...` put it. */
export function findGo(): string | null {
  const dirs = [
    ...(process.env.PATH ?? '').split(delimiter).filter(Boolean),
    '/usr/local/go/bin',
    join(homedir(), 'go', 'bin'),
    '/usr/lib/go/bin',
  ];
  for (const dir of dirs) {
    const go = join(dir, 'go');
    if (executable(go)) return go;
  }
  return null;
}

function goVersion(go: string): [number, number] | null {
  try {
    const v = execFileSync(go, ['env', 'GOVERSION'], { encoding: 'utf8', timeout: 15_000 }).trim();
    const m = /^go(\d+)\.(\d+)/.exec(v);
    return m ? [Number(m[1]), Number(m[2])] : null;
  } catch {
    return null;
  }
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Takes the build lock (a directory holding the builder's pid); false while another live process holds it. */
function tryLock(): boolean {
  mkdirSync(join(REPO, '.data'), { recursive: true });
  try {
    mkdirSync(LOCK);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    let pid = 0;
    try {
      pid = Number(readFileSync(join(LOCK, 'pid'), 'utf8').trim() || 0);
    } catch {
      // just taken, its pid not written yet, unless the taker died right then
      if (Date.now() - statSync(LOCK).mtimeMs < 30_000) return false;
    }
    if (pid && alive(pid)) return false;
    rmSync(LOCK, { recursive: true, force: true }); // left by a build that died
    return tryLock();
  }
  writeFileSync(join(LOCK, 'pid'), String(process.pid));
  return true;
}

function lastLines(path: string, n: number): string {
  try {
    return readFileSync(path, 'utf8').trimEnd().split('\n').slice(-n).join('\n');
  } catch {
    return '';
  }
}

/**
 * Makes sure tools/ferretdb/bin/ferretdb exists, building it with tools/ferretdb/build.sh on first use
 * (Go fetches FerretDB from the module proxy; a minute or two). Prints a progress line while it builds; when
 * Go is missing or too old, fails with a message naming Go and MONGO_URL. Two processes starting at once
 * (npm start and npm test) build once: the second waits for the first.
 */
export async function ensureFerretDB(progress: (line: string) => void = (l) => process.stdout.write(`${l}\n`)): Promise<string> {
  if (executable(BIN)) return BIN;
  let waitedFor = 0;
  while (!tryLock()) {
    if (waitedFor % 15 === 0) progress(`waiting for another process to finish building FerretDB ${FERRETDB_VERSION} (see ${LOG})`);
    await new Promise((r) => setTimeout(r, 1000));
    waitedFor++;
    if (executable(BIN)) return BIN;
  }
  try {
    if (executable(BIN)) return BIN;
    const go = findGo();
    if (!go) {
      throw new Error(
        `FerretDB ${FERRETDB_VERSION} (the MongoDB-compatible store this machine runs in place of MongoDB) is not built yet, ` +
          `and building it needs Go ${MIN_GO.join('.')} or newer, which is not installed (no \`go\` on PATH or in /usr/local/go/bin).\n` +
          `  Install Go from https://go.dev/dl/ and run the command again: FerretDB is built on first use (tools/ferretdb/build.sh).\n` +
          `  ${MONGO_HINT}`,
      );
    }
    const v = goVersion(go);
    if (v && (v[0] < MIN_GO[0] || (v[0] === MIN_GO[0] && v[1] < MIN_GO[1]))) {
      throw new Error(
        `FerretDB ${FERRETDB_VERSION} is not built yet, and ${go} is Go ${v.join('.')}: building it needs Go ${MIN_GO.join('.')} or newer ` +
          `(https://go.dev/dl/; Debian's golang-go package may be older).\n  ${MONGO_HINT}`,
      );
    }
    mkdirSync(join(REPO, '.data'), { recursive: true });
    const started = Date.now();
    progress(`building FerretDB ${FERRETDB_VERSION} with ${go} (first use only: a minute or two; log: ${LOG})`);
    const log = createWriteStream(LOG);
    const child = spawn('bash', [BUILD_SCRIPT], {
      env: { ...process.env, PATH: `${join(go, '..')}${delimiter}${process.env.PATH ?? ''}` },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    child.stdout.pipe(log, { end: false });
    child.stderr.pipe(log, { end: false });
    const timer = setInterval(() => progress(`still building FerretDB (${Math.round((Date.now() - started) / 1000)} s)`), 15_000);
    const code = await new Promise<number | null>((res) => {
      child.once('error', () => res(-1));
      child.once('exit', (c) => res(c));
    });
    clearInterval(timer);
    await new Promise<void>((res) => log.end(res));
    if (code !== 0 || !executable(BIN)) {
      throw new Error(
        `building FerretDB ${FERRETDB_VERSION} failed (tools/ferretdb/build.sh exited with ${code}; it needs the Go module proxy, proxy.golang.org, to be reachable). ` +
          `Last lines of ${LOG}:\n${lastLines(LOG, 12)}\n  ${MONGO_HINT}`,
      );
    }
    progress(`FerretDB ${FERRETDB_VERSION} built in ${Math.round((Date.now() - started) / 1000)} s`);
    return BIN;
  } finally {
    if (existsSync(join(LOCK, 'pid')) && readFileSync(join(LOCK, 'pid'), 'utf8').trim() === String(process.pid))
      rmSync(LOCK, { recursive: true, force: true });
  }
}
