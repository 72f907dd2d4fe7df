import { ConfigError, KNOWN_SECRETS, loadConfig, webhookUrls } from './index';

const SECRET = 'a-production-secret-of-at-least-32-bytes';
const prod = { NODE_ENV: 'production', JWT_SECRET: SECRET, RABBITMQ_URL: 'amqp://chat:s3cret@rabbit:5672' };

describe('loadConfig', () => {
  it('applies defaults and freezes the result', () => {
    const c = loadConfig({});
    expect(c.PORT).toBe(3000);
    expect(c.AUTH_GRPC_URL).toBe('127.0.0.1:50051');
    expect(Object.isFrozen(c)).toBe(true);
  });
  it('ends typing 6 s after the last start and announces offline 4 s after the last socket, unless told otherwise', () => {
    expect(loadConfig({})).toMatchObject({ TYPING_STOP_MS: 6000, PRESENCE_GRACE_MS: 4000 });
    expect(loadConfig({ TYPING_STOP_MS: '1500', PRESENCE_GRACE_MS: '0' })).toMatchObject({ TYPING_STOP_MS: 1500, PRESENCE_GRACE_MS: 0 });
    expect(() => loadConfig({ TYPING_STOP_MS: '100' })).toThrow(/TYPING_STOP_MS/);
  });
  it('parses numbers from strings', () => {
    expect(loadConfig({ PORT: '4100', EDIT_WINDOW_MS: '2000' })).toMatchObject({ PORT: 4100, EDIT_WINDOW_MS: 2000 });
  });
  it('names the variable that is wrong', () => {
    expect(() => loadConfig({ PORT: 'abc' })).toThrow(/PORT="abc"/);
    expect(() => loadConfig({ RABBITMQ_URL: 'http://x' })).toThrow(ConfigError);
  });
  it('names a bad secret or URL without printing its value', () => {
    const message = (env: Record<string, string>) => {
      try {
        loadConfig(env);
      } catch (err) {
        return (err as Error).message;
      }
      return '';
    };
    const secret = message({ WEBHOOK_URLS: 'http://hooks.example/in', WEBHOOK_SECRET: 'short-s3cret' });
    expect(secret).toMatch(/WEBHOOK_SECRET=\(hidden\)/);
    expect(secret).not.toContain('short-s3cret');
    const url = message({ PUSH_URL: 'http://user:pa55word@push.example/in', PUSH_SECRET: SECRET });
    expect(url).toMatch(/PUSH_URL=\(hidden\)/);
    expect(url).not.toContain('pa55word');
    expect(message({ PORT: 'nope' })).toContain('PORT="nope"');
  });

  it('leaves moderation off unless MODERATION_URL names an http(s) URL; the failure mode is open or closed', () => {
    expect(loadConfig({})).toMatchObject({ MODERATION_URL: undefined, MODERATION_FAILURE: 'open', MODERATION_TIMEOUT_MS: 2000 });
    const on = { MODERATION_URL: 'https://mod.internal:8443/v1/check', MODERATION_FAILURE: 'closed', MODERATION_TIMEOUT_MS: '500' };
    expect(loadConfig(on)).toMatchObject({ MODERATION_URL: on.MODERATION_URL, MODERATION_FAILURE: 'closed', MODERATION_TIMEOUT_MS: 500 });
    for (const bad of ['mod.internal/check', 'ftp://mod/check', 'http://user:pw@mod/check', 'http://'])
      expect(() => loadConfig({ MODERATION_URL: bad })).toThrow(/MODERATION_URL/);
    expect(() => loadConfig({ MODERATION_FAILURE: 'maybe' })).toThrow(/MODERATION_FAILURE/);
    expect(() => loadConfig({ MODERATION_TIMEOUT_MS: '10' })).toThrow(/MODERATION_TIMEOUT_MS/);
    expect(loadConfig({ MODERATION_SECRET: 'moderation-secret-01' })).toMatchObject({ MODERATION_SECRET: 'moderation-secret-01' });
    expect(() => loadConfig({ MODERATION_SECRET: 'short' })).toThrow(/MODERATION_SECRET/);
  });
  it('sends no webhooks by default; WEBHOOK_URLS lists http(s) receivers and needs WEBHOOK_SECRET', () => {
    expect(loadConfig({})).toMatchObject({ WEBHOOK_URLS: '', WEBHOOK_SECRET: undefined, OUTBOUND_ATTEMPTS: 15, OUTBOUND_TIMEOUT_MS: 5000 });
    const urls = 'https://a.example/hook, http://b.internal:8080/in';
    expect(webhookUrls(loadConfig({ WEBHOOK_URLS: urls, WEBHOOK_SECRET: 'receiver-secret-0123' }))).toEqual([
      'https://a.example/hook',
      'http://b.internal:8080/in',
    ]);
    expect(() => loadConfig({ WEBHOOK_URLS: urls })).toThrow(/WEBHOOK_SECRET: must be set when WEBHOOK_URLS is/);
    for (const bad of ['a.example/hook', 'ftp://a/hook', 'http://user:pw@a/hook'])
      expect(() => loadConfig({ WEBHOOK_URLS: bad, WEBHOOK_SECRET: 'receiver-secret-0123' })).toThrow(/WEBHOOK_URLS/);
    expect(() => loadConfig({ ...prod, WEBHOOK_URLS: urls, WEBHOOK_SECRET: 'receiver-secret-0123' })).toThrow(
      /WEBHOOK_SECRET: must be at least 32 bytes/,
    );
    expect(() => loadConfig({ OUTBOUND_ATTEMPTS: '0' })).toThrow(/OUTBOUND_ATTEMPTS/);
  });
  it('sends no push by default; PUSH_URL is an http(s) URL and needs PUSH_SECRET', () => {
    expect(loadConfig({})).toMatchObject({ PUSH_URL: undefined, PUSH_SECRET: undefined, PUSH_COLLAPSE_MS: 3000 });
    const url = 'https://push.internal/notify';
    expect(loadConfig({ PUSH_URL: url, PUSH_SECRET: 'push-secret-0123456' })).toMatchObject({ PUSH_URL: url });
    expect(() => loadConfig({ PUSH_URL: url })).toThrow(/PUSH_SECRET: must be set when PUSH_URL is/);
    for (const bad of ['push.internal', 'ftp://a/push', 'http://user:pw@a/push'])
      expect(() => loadConfig({ PUSH_URL: bad, PUSH_SECRET: 'push-secret-0123456' })).toThrow(/PUSH_URL/);
    expect(() => loadConfig({ ...prod, PUSH_URL: url, PUSH_SECRET: 'push-secret-0123456' })).toThrow(
      /PUSH_SECRET: must be at least 32 bytes/,
    );
    expect(() => loadConfig({ PUSH_COLLAPSE_MS: '10' })).toThrow(/PUSH_COLLAPSE_MS/);
  });
  it.each(['UNSAFE_ACK_BEFORE_WRITE', 'UNSAFE_REQUEUE_FAILED', 'UNSAFE_GATE_REPEATS'] as const)(
    'refuses the fault-test switch %s in production, and keeps it off by default',
    (key) => {
      expect(loadConfig({})[key]).toBe('false');
      expect(() => loadConfig({ ...prod, [key]: 'true' })).toThrow(new RegExp(key));
      expect(loadConfig({ [key]: 'true' })[key]).toBe('true');
    },
  );

  it('starts in production with a strong secret and a named RabbitMQ account', () => {
    expect(loadConfig(prod).NODE_ENV).toBe('production');
    expect(loadConfig({ ...prod, AUTH_MINT_KEY: 'm'.repeat(32) }, { mints: true }).AUTH_MINT_KEY).toBe('m'.repeat(32));
  });

  it('refuses a missing, published or short JWT secret in production (RFC 8725: at least 32 bytes)', () => {
    expect(() => loadConfig({ ...prod, JWT_SECRET: undefined })).toThrow(/JWT_SECRET: must be set/);
    for (const known of KNOWN_SECRETS)
      expect(() => loadConfig({ ...prod, JWT_SECRET: known })).toThrow(/JWT_SECRET: (is a published example value|must be set)/);
    expect(() => loadConfig({ ...prod, JWT_SECRET: 'x'.repeat(31) })).toThrow(/JWT_SECRET: must be at least 32 bytes/);
    // the old compose fallback, in particular
    expect(() => loadConfig({ ...prod, JWT_SECRET: 'change-me-compose-secret-0123456789' })).toThrow(/JWT_SECRET/);
    // development keeps working with the built-in secret
    expect(loadConfig({}).JWT_SECRET.length).toBeGreaterThanOrEqual(16);
  });

  it('refuses the guest RabbitMQ account and the demo token vendor in production', () => {
    for (const url of ['amqp://guest:guest@rabbit:5672', 'amqp://rabbit:5672'])
      expect(() => loadConfig({ ...prod, RABBITMQ_URL: url })).toThrow(/RABBITMQ_URL/);
    // the auth service never connects to RabbitMQ
    expect(loadConfig({ ...prod, RABBITMQ_URL: 'amqp://guest:guest@rabbit:5672' }, { mints: false }).NODE_ENV).toBe('production');
    expect(() => loadConfig({ ...prod, DEMO_ENABLED: 'true' })).toThrow(/DEMO_ENABLED/);
    expect(loadConfig({ DEMO_ENABLED: 'true' }).DEMO_ENABLED).toBe('true');
  });

  it('refuses a TRUST_PROXY that trusts every address in production', () => {
    for (const hops of ['0.0.0.0/0', '10.1.2.0/24, ::/0'])
      expect(() => loadConfig({ ...prod, TRUST_PROXY: hops })).toThrow(/TRUST_PROXY: a \/0 range/);
    expect(loadConfig({ ...prod, TRUST_PROXY: '10.1.2.0/24,10.1.3.7' }).TRUST_PROXY).toBe('10.1.2.0/24,10.1.3.7');
  });

  it('the auth service in production needs a strong mint credential, and a distinct one for admin tokens', () => {
    expect(() => loadConfig(prod, { mints: true })).toThrow(/AUTH_MINT_KEY: must be set/);
    expect(() => loadConfig({ ...prod, AUTH_MINT_KEY: 'short' }, { mints: true })).toThrow(/AUTH_MINT_KEY: must be at least 32 bytes/);
    const mint = 'm'.repeat(32);
    expect(() => loadConfig({ ...prod, AUTH_MINT_KEY: mint, AUTH_ADMIN_MINT_KEY: mint }, { mints: true })).toThrow(
      /AUTH_ADMIN_MINT_KEY: must differ/,
    );
    expect(loadConfig({}, { mints: true }).AUTH_MINT_KEY).toBeUndefined();
  });
});
