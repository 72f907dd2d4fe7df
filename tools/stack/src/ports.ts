import { readFileSync } from 'node:fs';
import { createServer, Socket } from 'node:net';

/** Where the kernel picks the local ports of outgoing connections (Linux; the usual range elsewhere). */
function ephemeralLow(): number {
  try {
    const low = Number(readFileSync('/proc/sys/net/ipv4/ip_local_port_range', 'utf8').trim().split(/\s+/)[0]);
    return Number.isInteger(low) && low > 1024 ? low : 32768;
  } catch {
    return 32768;
  }
}

/** Ports of services these machines run, never handed out (RabbitMQ's management and metrics). */
const RESERVED = new Set([11211, 15672, 15692]);

/**
 * Ports this process already handed out: a stack starts its services side by side, and two `freePort`
 * calls in flight at once could both find the same port free before either service bound it (an edge of
 * test/faults.test.ts died with EADDRINUSE on 26050 in a clean-clone CI run). A restarted service keeps
 * its port without asking again.
 */
const handedOut = new Set<number>();

function canListen(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const srv = createServer();
    srv.once('error', () => resolve(false));
    // no host: the services listen on every address, so the port must be free on every address
    srv.listen(port, () => srv.close(() => resolve(true)));
  });
}

/**
 * A port that was free a moment ago, for a service started after this returns. It comes from below the
 * kernel's ephemeral range: a port from inside it (what `listen(0)` gives) can be taken meanwhile by the
 * local end of any outgoing connection (a Redis or RabbitMQ client connecting), and the service then
 * died with EADDRINUSE (seen in CI: an edge of test/abuse.test.ts on 36157). The same holds when a
 * killed service is restarted on its port.
 */
export async function freePort(): Promise<number> {
  const top = Math.min(ephemeralLow(), 30000);
  const bottom = 10000;
  for (let i = 0; i < 100 && top > bottom; i++) {
    const port = bottom + Math.floor(Math.random() * (top - bottom));
    if (RESERVED.has(port) || handedOut.has(port)) continue;
    handedOut.add(port); // before the check, so a call running alongside cannot take it meanwhile
    if (await canListen(port)) return port;
  }
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, () => {
      const { port } = srv.address() as { port: number };
      srv.close(() => resolve(port));
    });
  });
}

export function canConnect(host: string, port: number, timeoutMs = 1000): Promise<boolean> {
  return new Promise((resolve) => {
    const s = new Socket();
    const done = (ok: boolean) => {
      s.destroy();
      resolve(ok);
    };
    s.setTimeout(timeoutMs, () => done(false));
    s.once('error', () => done(false));
    s.connect(port, host, () => done(true));
  });
}

export async function waitForPort(host: string, port: number, timeoutMs: number, what: string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await canConnect(host, port)) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`${what} did not start listening on ${host}:${port} within ${timeoutMs} ms`);
}
