import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { verifyOutbound } from '@chat/delivery';
import { DEFAULT_REASON, HttpModerationHook, MAX_REASON_LENGTH, parseVerdicts } from './moderation-hook';

describe('parseVerdicts', () => {
  it('keeps the usable verdicts and leaves out the rest', () => {
    const v = parseVerdicts({
      verdicts: [
        { id: 'a', action: 'allow' },
        { id: 'b', action: 'reject', reason: '  spam  ' },
        { id: 'c', action: 'reject' },
        { id: 'd', action: 'redact', content: '***' },
        { id: 'e', action: 'redact' },
        { id: 'f', action: 'redact', content: ' ' },
        { id: 'g', action: 'maybe' },
        { id: 'a', action: 'reject' },
        null,
        { action: 'allow' },
      ],
    });
    expect(Object.fromEntries(v!)).toEqual({
      a: { action: 'allow' },
      b: { action: 'reject', reason: 'spam' },
      c: { action: 'reject', reason: DEFAULT_REASON },
      d: { action: 'redact', content: '***' },
    });
  });

  it('cuts a long reason on a code point boundary', () => {
    const v = parseVerdicts({ verdicts: [{ id: 'a', action: 'reject', reason: '🙂'.repeat(150) }] });
    const reason = (v!.get('a') as { reason: string }).reason;
    expect(reason.length).toBeLessThanOrEqual(MAX_REASON_LENGTH);
    expect(reason).toBe('🙂'.repeat(MAX_REASON_LENGTH / 2));
  });

  it('refuses an answer that is not { verdicts: [...] }', () => {
    for (const body of [null, 'x', {}, { verdicts: {} }]) expect(parseVerdicts(body)).toBeNull();
  });
});

describe('HttpModerationHook', () => {
  let server: Server;
  let url: string;
  let answer: (body: string, res: import('node:http').ServerResponse, req: import('node:http').IncomingMessage) => void;
  beforeAll(async () => {
    server = createServer((req, res) => {
      let body = '';
      req.on('data', (c: Buffer) => (body += c.toString()));
      req.on('end', () => answer(body, res, req));
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/check`;
  });
  afterAll(() => new Promise((r) => server.close(r)));

  const item = {
    id: 'a',
    roomId: 'r',
    senderId: 's',
    receiverId: 'x',
    content: 'hi',
    clientMsgId: null,
    createdAt: '1970-01-01T00:00:00.000Z',
  };

  it('posts { messages } and reads the verdicts', async () => {
    let seen: unknown;
    answer = (body, res) => {
      seen = JSON.parse(body);
      res.setHeader('content-type', 'application/json');
      res.end(JSON.stringify({ verdicts: [{ id: 'a', action: 'allow' }] }));
    };
    const a = await new HttpModerationHook(url, 1000).judge([item]);
    expect(seen).toEqual({ messages: [item] });
    expect(a.ok && Object.fromEntries(a.verdicts)).toEqual({ a: { action: 'allow' } });
  });

  it('signs each request with MODERATION_SECRET over its timestamp and body, as webhooks are; unsigned without one', async () => {
    const seen: Array<{ body: string; ts?: string; sig?: string }> = [];
    answer = (body, res, req) => {
      seen.push({ body, ts: req.headers['x-chat-timestamp'] as string, sig: req.headers['x-chat-signature'] as string });
      res.end(JSON.stringify({ verdicts: [] }));
    };
    await new HttpModerationHook(url, 1000, fetch, 'moderation-secret-01').judge([item]);
    await new HttpModerationHook(url, 1000).judge([item]);
    const [signed, plain] = seen;
    expect(signed.sig).toMatch(/^v1=[0-9a-f]{64}$/);
    expect(verifyOutbound('moderation-secret-01', Number(signed.ts), signed.body, signed.sig!)).toBe(true);
    expect(verifyOutbound('another-secret-0123', Number(signed.ts), signed.body, signed.sig!)).toBe(false);
    expect([plain.ts, plain.sig]).toEqual([undefined, undefined]);
  });

  it('an error status, an answer that is not JSON, and silence past the deadline are failed answers, not exceptions', async () => {
    answer = (_b, res) => res.writeHead(503).end('busy');
    expect(await new HttpModerationHook(url, 1000).judge([item])).toMatchObject({ ok: false, failure: 'error', detail: 'status 503' });
    answer = (_b, res) => res.end('not json');
    expect(await new HttpModerationHook(url, 1000).judge([item])).toMatchObject({ ok: false, failure: 'error' });
    answer = (_b, res) => setTimeout(() => res.end('{"verdicts":[]}'), 500);
    expect(await new HttpModerationHook(url, 100).judge([item])).toMatchObject({ ok: false, failure: 'timeout' });
    const closed = `http://127.0.0.1:1/check`;
    expect(await new HttpModerationHook(closed, 1000).judge([item])).toMatchObject({ ok: false, failure: 'error' });
  });
});
