/*
 * node tools/bench/dist/queue-types.js [quorum,classic]: RabbitMQ alone, per queue type, at full speed and
 * paced at 300 messages/s: messages per second and the CPU per message of the broker, of this client and
 * of the whole machine. Shows what a hop costs when its batches are small (docs/performance.md).
 */
import { execSync } from 'node:child_process';
import { rabbitRun } from './parts';

const url = process.env.RABBITMQ_URL ?? 'amqp://guest:guest@127.0.0.1:5672';

async function main(): Promise<void> {
  const brokerPid = Number(execSync('pgrep -o beam.smp').toString().trim());
  for (const queueType of (process.argv[2] ?? 'quorum,classic').split(',') as Array<'quorum' | 'classic'>) {
    for (const [n, ratePerSecond] of [
      [20000, undefined],
      [3000, 300],
    ] as const) {
      const r = await rabbitRun(url, n, 150, { queueType, ratePerSecond, brokerPid });
      process.stdout.write(
        `${queueType} ${ratePerSecond ? `paced at ${ratePerSecond}/s` : 'full speed'}: ${r.perSecond} msg/s; core-µs per message: machine ${r.machineUs}, broker ${r.brokerUs}, this client ${r.clientUs}\n`,
      );
    }
  }
}

main().then(
  () => process.exit(0),
  (err) => {
    process.stderr.write(`${(err as Error).stack ?? err}\n`);
    process.exit(1);
  },
);
