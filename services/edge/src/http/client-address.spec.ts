import type { IncomingMessage } from 'node:http';
import { clientAddressOf, trustedHops } from './client-address';

const req = (peer: string, xff?: string) =>
  ({
    headers: xff ? { 'x-forwarded-for': xff } : {},
    socket: { remoteAddress: peer },
    connection: { remoteAddress: peer },
  }) as unknown as IncomingMessage;

describe('client address', () => {
  it('believes X-Forwarded-For only from a trusted hop, and only one entry per trusted hop', () => {
    const of = clientAddressOf(trustedHops(' 10.0.0.5, 192.168.0.0/16 '));
    expect(of(req('10.0.0.5', '203.0.113.7'))).toBe('203.0.113.7');
    // the client prepended its own entry: the trusted proxy appended the real peer after it
    expect(of(req('10.0.0.5', '1.1.1.1, 203.0.113.7'))).toBe('203.0.113.7');
    // two trusted hops
    expect(of(req('10.0.0.5', '203.0.113.7, 192.168.1.1'))).toBe('203.0.113.7');
    expect(of(req('198.51.100.9', '203.0.113.7'))).toBe('198.51.100.9');
  });
  it('trusts nobody by default', () => {
    expect(clientAddressOf(trustedHops(''))(req('127.0.0.1', '203.0.113.7'))).toBe('127.0.0.1');
  });
});
