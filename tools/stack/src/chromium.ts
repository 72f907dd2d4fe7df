import { execFile } from 'node:child_process';
import { accessSync, constants } from 'node:fs';
import { delimiter, join } from 'node:path';

const NAMES = ['chromium', 'chromium-browser', 'google-chrome', 'google-chrome-stable'];
export const CHROMIUM_INSTALL = 'sudo apt-get install -y chromium';

function executable(p: string): boolean {
  try {
    accessSync(p, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

/** A Chromium (or Chrome) to drive with playwright-core: CHROMIUM_PATH, else the first one on PATH or in /usr/bin. */
export function findChromium(): string | null {
  const given = process.env.CHROMIUM_PATH;
  if (given) return executable(given) ? given : null;
  const dirs = [...new Set([...(process.env.PATH ?? '').split(delimiter).filter(Boolean), '/usr/bin', '/snap/bin'])];
  for (const name of NAMES) for (const dir of dirs) if (executable(join(dir, name))) return join(dir, name);
  return null;
}

function sh(cmd: string, args: string[]): Promise<number> {
  return new Promise((resolve) => {
    const child = execFile(
      cmd,
      args,
      { env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' }, timeout: 15 * 60_000, maxBuffer: 64 * 1024 * 1024 },
      (err) => resolve(err ? ((err as { code?: number }).code ?? 1) : 0),
    );
    child.stdin?.end();
  });
}

/**
 * Finds the browser the page tests drive; when there is none and this runs as root on a machine with
 * apt-get, installs Debian's chromium (with a progress line). Otherwise says the exact command to run.
 * Returns the browser's path, or null with the reason already said.
 */
export async function ensureChromium(say: (line: string) => void): Promise<string | null> {
  const found = findChromium();
  if (found) return found;
  if (process.env.CHROMIUM_PATH) {
    say(
      `CHROMIUM_PATH=${process.env.CHROMIUM_PATH} is not an executable: the page tests (test/browser.test.ts) will fail. Fix it, or unset it and run ${CHROMIUM_INSTALL}.`,
    );
    return null;
  }
  const root = process.getuid?.() === 0;
  const apt = executable('/usr/bin/apt-get');
  if (!root || !apt || process.env.CHAT_NO_INSTALL === '1') {
    say(
      `Chromium is not installed, and the page tests (test/browser.test.ts) drive it: install it with \`${CHROMIUM_INSTALL}\` (or set CHROMIUM_PATH to a Chromium or Chrome).`,
    );
    return null;
  }
  say('Chromium is not installed and the page tests need it: running apt-get install -y chromium (once; a few minutes)');
  const started = Date.now();
  const timer = setInterval(() => say(`still installing Chromium (${Math.round((Date.now() - started) / 1000)} s)`), 20_000);
  try {
    if ((await sh('apt-get', ['install', '-y', '-qq', 'chromium'])) !== 0) {
      await sh('apt-get', ['update', '-qq']);
      await sh('apt-get', ['install', '-y', '-qq', 'chromium']);
    }
  } finally {
    clearInterval(timer);
  }
  const path = findChromium();
  say(path ? `Chromium installed: ${path}` : `installing Chromium failed: run \`${CHROMIUM_INSTALL}\` and see what it says.`);
  return path;
}
