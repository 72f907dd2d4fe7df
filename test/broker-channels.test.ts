import { Writable } from 'node:stream';
import pino from 'pino';
import { connectBroker } from '@chat/broker';
import { eventually } from './support/harness';

/**
 * A channel whose setup fails while the broker drops the connection (RabbitMQ answered a worker's start
 * with INTERNAL_ERROR under load) must not end the process: it is logged, and set up again on reconnect.
 */
describe('broker channels', () => {
  it('logs a failed channel setup and sets the channel up again after the connection comes back', async () => {
    const lines: Array<Record<string, unknown>> = [];
    const sink = new Writable({
      write(chunk: Buffer, _enc, done) {
        for (const l of chunk.toString().split('\n')) if (l.trim()) lines.push(JSON.parse(l) as Record<string, unknown>);
        done();
      },
    });
    const conn = connectBroker(process.env.TEST_RABBITMQ_URL!, pino({ level: 'info' }, sink), 'broker-channels-test');
    let setups = 0;
    const channel = conn.createChannel({
      name: 'flaky-setup',
      setup: () => {
        setups++;
        if (setups === 1) return Promise.reject(new Error('Channel ended, no reply will be forthcoming'));
        return Promise.resolve();
      },
    });
    try {
      await eventually(async () => lines.some((l) => l.msg === 'channel setup failed; it is set up again on the next connect'), 'logged');
      expect(lines.find((l) => l.channel === 'flaky-setup')).toMatchObject({
        level: 40,
        err: 'Channel ended, no reply will be forthcoming',
      });
      // here the channel itself survived; when the connection is made again, so is its setup
      conn.reconnect();
      await eventually(async () => setups === 2, 'set up again on the next connect');
      await channel.waitForConnect();
    } finally {
      await channel.close().catch(() => undefined);
      await conn.close().catch(() => undefined);
    }
  }, 30_000);
});
