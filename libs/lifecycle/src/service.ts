import type { Logger } from '@chat/logging';

export type Stop = () => Promise<void>;

/**
 * Runs a service's start function and owns its process lifecycle: SIGTERM/SIGINT stop it gracefully
 * (the returned stop function finishes or hands back in-flight work) and exit 0; a failed start exits 1
 * with a message naming the cause; a stray rejection is logged, not swallowed.
 */
export function runService(name: string, start: () => Promise<{ log: Logger; stop: Stop; stopTimeoutMs?: number }>): void {
  let stopping = false;
  start()
    .then(({ log, stop, stopTimeoutMs = 20_000 }) => {
      process.on('unhandledRejection', (err) => log.error({ err: (err as Error)?.message ?? String(err) }, 'unhandled rejection'));
      const shutdown = (signal: string) => {
        if (stopping) return;
        stopping = true;
        log.info({ signal }, 'stopping');
        const force = setTimeout(() => {
          log.error('graceful stop timed out; exiting');
          process.exit(1);
        }, stopTimeoutMs);
        force.unref();
        stop()
          .then(() => {
            log.info('stopped');
            process.exit(0);
          })
          .catch((err) => {
            log.error({ err: (err as Error).message }, 'error while stopping');
            process.exit(1);
          });
      };
      process.once('SIGTERM', () => shutdown('SIGTERM'));
      process.once('SIGINT', () => shutdown('SIGINT'));
    })
    .catch((err) => {
      process.stderr.write(`${name}: failed to start: ${(err as Error).message}\n`);
      process.exit(1);
    });
}

/** Waits until `check` resolves, retrying, and explains which dependency is missing while it waits. */
export async function waitFor(what: string, hint: string, check: () => Promise<unknown>, log: Logger, timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (let attempt = 0; ; attempt++) {
    try {
      await check();
      return;
    } catch (err) {
      if (Date.now() > deadline) throw new Error(`${what} is not reachable (${(err as Error).message}). ${hint}`, { cause: err });
      if (attempt % 5 === 0) log.warn({ dependency: what, err: (err as Error).message }, `${what} not reachable yet. ${hint}`);
      await new Promise((r) => setTimeout(r, 500));
    }
  }
}
