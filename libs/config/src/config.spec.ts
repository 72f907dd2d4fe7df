import { ConfigError, loadConfig } from './index';

describe('loadConfig', () => {
  it('applies defaults and freezes the result', () => {
    const c = loadConfig({});
    expect(c.PORT).toBe(3000);
    expect(c.AUTH_GRPC_URL).toBe('127.0.0.1:50051');
    expect(Object.isFrozen(c)).toBe(true);
  });
  it('parses numbers from strings', () => {
    expect(loadConfig({ PORT: '4100', EDIT_WINDOW_MS: '2000' })).toMatchObject({ PORT: 4100, EDIT_WINDOW_MS: 2000 });
  });
  it('names the variable that is wrong', () => {
    expect(() => loadConfig({ PORT: 'abc' })).toThrow(/PORT="abc"/);
    expect(() => loadConfig({ RABBITMQ_URL: 'http://x' })).toThrow(ConfigError);
  });
  it.each(['UNSAFE_ACK_BEFORE_WRITE', 'UNSAFE_REQUEUE_FAILED', 'UNSAFE_GATE_REPEATS'] as const)('refuses the fault-test switch %s in production, and keeps it off by default', (key) => {
    expect(loadConfig({})[key]).toBe('false');
    expect(() => loadConfig({ NODE_ENV: 'production', JWT_SECRET: 'x'.repeat(32), [key]: 'true' })).toThrow(new RegExp(key));
    expect(loadConfig({ [key]: 'true' })[key]).toBe('true');
  });

  it('refuses the development secret in production', () => {
    expect(() => loadConfig({ NODE_ENV: 'production' })).toThrow(/JWT_SECRET/);
  });
});
