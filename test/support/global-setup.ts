import { ensureChromium } from '@chat/stack';
import { resolveInfra } from './infra';

export default async function globalSetup(): Promise<void> {
  // the page tests drive Chromium: found here, installed when it can be, or the exact command printed
  const chromium = await ensureChromium((line) => process.stdout.write(`\n[setup] ${line}\n`));
  if (chromium) process.env.CHROMIUM_PATH = chromium;
  const infra = await resolveInfra();
  process.env.TEST_MONGO_URL = infra.mongoUrl;
  process.env.TEST_REDIS_URL = infra.redisUrl;
  process.env.TEST_RABBITMQ_URL = infra.rabbitUrl;
  process.env.TEST_INFRA_MODE = infra.mode;
  (globalThis as { __infra?: typeof infra }).__infra = infra;
}
