import { createHmac } from 'node:crypto';
import { isOutboundJobId, outboundBackoff, outboundJobId, signOutbound, verifyOutbound } from './outbound';

const SECRET = 'a-receiver-secret-0123456789abcdef';

describe('signOutbound / verifyOutbound', () => {
  const body = JSON.stringify({ events: [{ id: 'e1', type: 'message.created' }] });
  const ts = 1_700_000_000;

  it('is v1= and the hex HMAC-SHA256 of "timestamp.body" under the secret, which a receiver can compute itself', () => {
    const own = createHmac('sha256', SECRET).update(`${ts}.${body}`).digest('hex');
    expect(signOutbound(SECRET, ts, body)).toBe(`v1=${own}`);
  });

  it('accepts its own signature within the tolerance', () => {
    expect(verifyOutbound(SECRET, ts, body, signOutbound(SECRET, ts, body), 300, ts + 299)).toBe(true);
  });

  it('refuses another secret, a changed body, a changed timestamp, a stale timestamp and a malformed header', () => {
    const sig = signOutbound(SECRET, ts, body);
    expect(verifyOutbound('another-secret-0123456789abcdef', ts, body, sig, 300, ts)).toBe(false);
    expect(verifyOutbound(SECRET, ts, body.replace('e1', 'e2'), sig, 300, ts)).toBe(false);
    expect(verifyOutbound(SECRET, ts + 1, body, sig, 300, ts)).toBe(false);
    expect(verifyOutbound(SECRET, ts, body, sig, 300, ts + 301)).toBe(false);
    expect(verifyOutbound(SECRET, ts, body, 'v1=abc', 300, ts)).toBe(false);
    expect(verifyOutbound(SECRET, NaN, body, sig, 300, ts)).toBe(false);
  });
});

describe('outboundJobId', () => {
  const d = { kind: 'webhook' as const, deliveryId: 'd1', url: 'http://r.example/hook' };

  it('is the same for the same delivery, and differs per kind, delivery and receiver', () => {
    expect(outboundJobId(d)).toBe(outboundJobId({ ...d }));
    expect(
      new Set([
        outboundJobId(d),
        outboundJobId({ ...d, kind: 'push' }),
        outboundJobId({ ...d, deliveryId: 'd2' }),
        outboundJobId({ ...d, url: 'http://s.example/' }),
      ]).size,
    ).toBe(4);
  });

  it('is a valid BullMQ custom id (no colon, never an integer) and recognised as an outbound id', () => {
    const id = outboundJobId(d);
    expect(id).not.toContain(':');
    expect(id).toMatch(/^o/);
    expect(isOutboundJobId(id)).toBe(true);
    expect(isOutboundJobId('12345')).toBe(false);
  });
});

describe('outboundBackoff', () => {
  it('doubles from the base per attempt, drawn between half and all of the doubled wait', () => {
    expect(outboundBackoff(1, 1000, () => 1)).toBe(1000);
    expect(outboundBackoff(1, 1000, () => 0)).toBe(500);
    expect(outboundBackoff(4, 1000, () => 1)).toBe(8000);
    expect(outboundBackoff(4, 1000, () => 0)).toBe(4000);
  });

  it('is capped at an hour', () => {
    expect(outboundBackoff(30, 1000, () => 1)).toBe(3_600_000);
  });

  it('with the default 15 attempts, the retries of a delivery span more than ten minutes even at the shortest draws', () => {
    let total = 0;
    for (let a = 1; a < 15; a++) total += outboundBackoff(a, 1000, () => 0);
    expect(total).toBeGreaterThan(10 * 60 * 1000);
  });
});
