import type { IncomingMessage } from 'node:http';
import proxyaddr from 'proxy-addr';

/** TRUST_PROXY as the list Express and proxy-addr take; empty: trust no hop. */
export function trustedHops(raw: string): string[] {
  return raw
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
}

/**
 * The client's address as Express computes req.ip: the peer, or, when the peer is a trusted proxy, the
 * nearest X-Forwarded-For entry not itself trusted. Used for Socket.IO handshakes, which Express never sees.
 */
export function clientAddressOf(hops: string[]): (req: IncomingMessage) => string {
  const trust = proxyaddr.compile(hops);
  return (req) => proxyaddr(req, trust);
}
