import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import { configVariableNames } from '@chat/config';

const ROOT = join(__dirname, '..');

/** docker-compose.yml must run the stack the code expects, with the env var names the code reads. */
describe('docker-compose.yml', () => {
  const compose = parse(readFileSync(join(ROOT, 'docker-compose.yml'), 'utf8'), { merge: true }) as {
    services: Record<string, { image?: string; command?: string[]; environment?: Record<string, string> }>;
  };
  const services = compose.services;

  it('has MongoDB 7, RabbitMQ with management, Redis 7, auth, two edges and every worker', () => {
    expect(services.mongo.image).toBe('mongo:7');
    expect(services.rabbitmq.image).toMatch(/^rabbitmq:.*management/);
    expect(services.redis.image).toBe('redis:7');
    const commands = Object.values(services).map((s) => (s.command ?? []).join(' '));
    for (const svc of ['auth', 'persistence', 'fanout', 'receipts']) {
      expect(commands.filter((c) => c.includes(`services/${svc}/dist/main.js`))).toHaveLength(1);
    }
    expect(commands.filter((c) => c.includes('services/edge/dist/main.js'))).toHaveLength(2);
  });

  it('sets only environment variables the code reads, and every service gets the connection URLs', () => {
    const known = new Set(configVariableNames());
    for (const [name, svc] of Object.entries(services)) {
      if (!(svc.command ?? []).join(' ').includes('dist/main.js')) continue;
      const env = svc.environment ?? {};
      for (const key of Object.keys(env)) expect([name, key, known.has(key)]).toEqual([name, key, true]);
      for (const key of ['MONGO_URL', 'RABBITMQ_URL', 'REDIS_URL', 'AUTH_GRPC_URL']) expect([name, key in env]).toEqual([name, true]);
    }
  });
});
