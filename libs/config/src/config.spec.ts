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
  it('refuses the unsafe ack-before-write switch in production, and keeps it off by default', () => {
    expect(loadConfig({}).UNSAFE_ACK_BEFORE_WRITE).toBe('false');
    expect(() => loadConfig({ NODE_ENV: 'production', JWT_SECRET: 'x'.repeat(32), UNSAFE_ACK_BEFORE_WRITE: 'true' })).toThrow(/UNSAFE_ACK_BEFORE_WRITE/);
    expect(loadConfig({ UNSAFE_ACK_BEFORE_WRITE: 'true' }).UNSAFE_ACK_BEFORE_WRITE).toBe('true');
  });

  it('refuses the development secret in production', () => {
    expect(() => loadConfig({ NODE_ENV: 'production' })).toThrow(/JWT_SECRET/);
  });
});
