/*
 * node tools/bench/dist/queue-types.js [quorum,classic]: RabbitMQ alone, per queue type, at full speed and
 * paced at 300 messages/s: messages per second and the CPU per message of the broker, of this client and
 * of the whole machine. Shows what a hop costs when its batches are small (README, "Session 7").
 */
import amqp from 'amqplib';
import { execSync } from 'node:child_process';
import { cpuTicks, machineTicks } from './proc-cpu';

const TICKS = 100;
const url = process.env.RABBITMQ_URL ?? 'amqp://guest:guest@127.0.0.1:5672';

async function run(type: string, n: number, rate: number | null, broker: number): Promise<string> {
  const conn = await amqp.connect(url);
  const q = `bench.queue-types.${type}.${Date.now()}`;
  try {
    const pub = await conn.createConfirmChannel();
    const sub = await conn.createChannel();
    await pub.assertQueue(q, { durable: true, arguments: { 'x-queue-type': type } });
    await sub.prefetch(200);
    let consumed = 0;
    const done = new Promise<void>((resolve) =>
      sub.consume(q, (m) => {
        if (!m) return;
        sub.ack(m);
        if (++consumed === n) resolve();
      }),
    );
    const body = Buffer.from('x'.repeat(150));
    const [m0, b0, c0, t0] = [machineTicks(), cpuTicks(broker), process.cpuUsage(), performance.now()];
    let sent = 0;
    let confirmed = 0;
    await new Promise<void>((resolve, reject) => {
      const pump = () => {
        while (sent - confirmed < 100 && sent < n) {
          // paced: the next publish waits for its due time (one timer, not a polling loop)
          const due = rate ? ((sent + 1) / rate) * 1000 : 0;
          const now = performance.now() - t0;
          if (due > now) return void setTimeout(pump, due - now);
          sent++;
          pub.sendToQueue(q, body, { persistent: true }, (err: unknown) => {
            if (err) return reject(err as Error);
            if (++confirmed === n) resolve();
            else pump();
          });
        }
      };
      pump();
    });
    await done;
    const secs = (performance.now() - t0) / 1000;
    const us = (coreSeconds: number) => Math.round((coreSeconds * 1e6) / n);
    const c = process.cpuUsage(c0);
    const m1 = machineTicks();
    await pub.deleteQueue(q);
    return `${type} ${rate ? `paced at ${rate}/s` : 'full speed'}: ${Math.round(n / secs)} msg/s; core-µs per message: machine ${us((m1.busy - m0.busy) / TICKS)}, broker ${us((cpuTicks(broker) - b0) / TICKS)}, this client ${us((c.user + c.system) / 1e6)}`;
  } finally {
    await conn.close();
  }
}

async function main(): Promise<void> {
  const broker = Number(execSync('pgrep -o beam.smp').toString().trim());
  for (const type of (process.argv[2] ?? 'quorum,classic').split(',')) {
    process.stdout.write(`${await run(type, 20000, null, broker)}\n`);
    process.stdout.write(`${await run(type, 3000, 300, broker)}\n`);
  }
}

main().then(
  () => process.exit(0),
  (err) => {
    process.stderr.write(`${(err as Error).stack ?? err}\n`);
    process.exit(1);
  },
);
