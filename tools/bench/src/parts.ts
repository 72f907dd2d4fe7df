import { createAdapter } from '@socket.io/redis-adapter';
import amqp from 'amqplib';
import { Redis } from 'ioredis';
import mongoose from 'mongoose';
import { createServer } from 'node:http';
import { randomBytes } from 'node:crypto';
import { Server } from 'socket.io';
import { io as connectClient, type Socket } from 'socket.io-client';
import { freePort } from '@chat/stack';
import { measured } from './proc-cpu';

export interface PartResult {
  name: string;
  perSecond: number;
  detail: string;
  /**
   * The machine's busy CPU per operation while the part ran alone, in core-microseconds: the server's
   * and its client's together (a RabbitMQ message: broker plus publisher and consumer).
   */
  cpuUsPerOp?: number;
}

const usPerOp = (busyCoreSeconds: number, ops: number) => (ops > 0 ? Math.round((busyCoreSeconds * 1e6) / ops) : undefined);

/** `clients` Socket.IO clients connected over WebSocket to a local server, each with auth `{ i }`. */
function connectClients(port: number, clients: number): Promise<Socket[]> {
  return Promise.all(
    Array.from(
      { length: clients },
      (_, i) =>
        new Promise<Socket>((resolve) => {
          const s = connectClient(`http://127.0.0.1:${port}`, { auth: { i }, transports: ['websocket'], forceNew: true });
          s.once('connect', () => resolve(s));
        }),
    ),
  );
}

const payload = (bytes: number) => Buffer.from(JSON.stringify({ type: 'message.send.v1', content: 'x'.repeat(Math.max(0, bytes - 40)) }));

export interface RabbitRun {
  perSecond: number;
  /** Core-microseconds per message: the whole machine, the broker (when its pid was given) and this process. */
  machineUs: number;
  brokerUs: number | null;
  clientUs: number;
}

/**
 * RabbitMQ alone: publishes `n` messages to a new durable queue with up to 100 awaiting their confirm (a
 * busy publisher), at full speed or paced at `ratePerSecond`, while consuming them with acks.
 */
export async function rabbitRun(
  url: string,
  n: number,
  bytes: number,
  opts: { queueType?: 'quorum' | 'classic'; ratePerSecond?: number; brokerPid?: number } = {},
): Promise<RabbitRun> {
  const conn = await amqp.connect(url);
  const q = `bench.raw.${randomBytes(4).toString('hex')}`;
  try {
    const pub = await conn.createConfirmChannel();
    const sub = await conn.createChannel();
    await pub.assertQueue(q, { durable: true, arguments: { 'x-queue-type': opts.queueType ?? 'quorum' } });
    await sub.prefetch(200);
    let consumed = 0;
    let allConsumed!: () => void;
    const done = new Promise<void>((resolve) => (allConsumed = resolve));
    // awaited, so a consumer the broker refuses fails the part instead of leaving it waiting on `done`
    await sub.consume(q, (m) => {
      if (!m) return;
      sub.ack(m);
      if (++consumed === n) allConsumed();
    });
    const body = payload(bytes);
    const rate = opts.ratePerSecond;
    let t0 = 0;
    const m = await measured(async () => {
      t0 = performance.now();
      await new Promise<void>((resolve, reject) => {
        let sent = 0;
        let confirmed = 0;
        const pump = () => {
          while (sent - confirmed < 100 && sent < n) {
            // paced: the next publish waits for its due time (one timer, not a polling loop)
            const wait = rate ? ((sent + 1) / rate) * 1000 - (performance.now() - t0) : 0;
            if (wait > 0) return void setTimeout(pump, wait);
            sent++;
            pub.sendToQueue(q, body, { persistent: true }, (err: Error | null) => {
              if (err) return reject(err);
              if (++confirmed === n) resolve();
              else pump();
            });
          }
        };
        pump();
      });
      await done;
    }, opts.brokerPid);
    await pub.deleteQueue(q);
    return {
      perSecond: Math.round(n / m.seconds),
      machineUs: usPerOp(m.busyCoreSeconds, n) ?? 0,
      brokerUs: m.pidCoreSeconds === null ? null : (usPerOp(m.pidCoreSeconds, n) ?? 0),
      clientUs: usPerOp(m.selfCoreSeconds, n) ?? 0,
    };
  } finally {
    await conn.close();
  }
}

/** RabbitMQ alone, as the bench's part: a quorum queue at full speed. */
export async function rabbitPart(url: string, n: number, bytes: number): Promise<PartResult> {
  const r = await rabbitRun(url, n, bytes);
  return {
    name: 'RabbitMQ publish (confirms, window 100) + consume',
    perSecond: r.perSecond,
    detail: `${n} messages of ${bytes} B, quorum queue`,
    cpuUsPerOp: r.machineUs,
  };
}

/** The store alone: single inserts (20 concurrent) and batched inserts of 100, of message-sized documents. */
export async function storeParts(url: string, n: number, bytes: number): Promise<PartResult[]> {
  const conn = await mongoose.createConnection(url, { maxPoolSize: 20 }).asPromise();
  const coll = conn.collection(`bench_raw_${randomBytes(4).toString('hex')}`);
  const doc = (i: number) => ({
    roomId: 'r'.repeat(24),
    seq: i,
    senderId: 's'.repeat(24),
    receiverId: 'v'.repeat(24),
    content: 'x'.repeat(bytes),
    createdAt: new Date(),
  });
  try {
    await coll.createIndex({ roomId: 1, seq: 1 }, { unique: true });
    const single = Math.min(n, 3000);
    const singles = await measured(async () => {
      for (let i = 0; i < single; i += 20)
        await Promise.all(Array.from({ length: Math.min(20, single - i) }, (_, k) => coll.insertOne(doc(i + k))));
    });
    const batches = await measured(async () => {
      for (let i = 0; i < n; i += 100)
        await coll.insertMany(
          Array.from({ length: Math.min(100, n - i) }, (_, k) => doc(single + i + k)),
          { ordered: false },
        );
    });
    // what the pipeline does per room and batch: one guarded update of a small document by _id (the
    // conversation's seq and last message), 20 rooms at a time
    const rooms = conn.collection(`bench_rooms_${randomBytes(4).toString('hex')}`);
    const ids = Array.from({ length: 20 }, (_, i) => `room${i}`);
    await rooms.insertMany(ids.map((_id) => ({ _id: _id as unknown as never, lastSeq: 0, lastMessage: null })));
    const updates = Math.min(n, 3000);
    let updated;
    try {
      updated = await measured(async () => {
        for (let i = 0; i < updates; i += 20) {
          await Promise.all(
            ids
              .slice(0, Math.min(20, updates - i))
              .map((_id) =>
                rooms.updateOne(
                  { _id: _id as unknown as never, lastSeq: i / 20 },
                  { $set: { lastSeq: i / 20 + 1, lastMessage: { content: 'x'.repeat(bytes), at: new Date() } } },
                ),
              ),
          );
        }
      });
    } finally {
      await rooms.drop().catch(() => undefined);
    }
    const part = (name: string, ops: number, m: { seconds: number; busyCoreSeconds: number }, detail: string): PartResult => ({
      name,
      perSecond: Math.round(ops / m.seconds),
      detail,
      cpuUsPerOp: usPerOp(m.busyCoreSeconds, ops),
    });
    return [
      part('store insert, single (20 concurrent)', single, singles, `${single} documents`),
      part('store insert, batches of 100', n, batches, `${n} documents`),
      part('store update by _id (20 concurrent)', updates, updated, `${updates} guarded updates of 20 room documents`),
    ];
  } finally {
    await coll.drop().catch(() => undefined);
    await conn.close();
  }
}

/** The Redis adapter alone: a server without clients emits to rooms; another delivers to its sockets. */
export async function adapterPart(redisUrl: string, n: number, clients: number, bytes: number): Promise<PartResult> {
  const key = `bench-${randomBytes(4).toString('hex')}`;
  const redis = [0, 1, 2, 3].map(() => new Redis(redisUrl));
  const http = createServer();
  const port = await freePort();
  const receiverSide = new Server(http, { adapter: createAdapter(redis[0], redis[1], { key }) });
  const senderSide = new Server({ adapter: createAdapter(redis[2], redis[3], { key }) });
  await new Promise<void>((r) => http.listen(port, '127.0.0.1', r));
  receiverSide.on('connection', (s) => void s.join(`u${s.handshake.auth.i}`));
  const socks = await connectClients(port, clients);
  await new Promise((r) => setTimeout(r, 300));
  try {
    let got = 0;
    const done = new Promise<void>((resolve) => socks.forEach((s) => s.on('m', () => ++got === n && resolve())));
    const body = { message: { content: 'x'.repeat(bytes) } };
    const m = await measured(async () => {
      for (let i = 0; i < n; i++) {
        senderSide.to(`u${i % clients}`).emit('m', body);
        if (i % 500 === 0) await new Promise((r) => setImmediate(r));
      }
      await Promise.race([done, new Promise((r) => setTimeout(r, 60000))]);
    });
    return {
      name: 'Redis adapter → socket delivery',
      perSecond: Math.round(got / m.seconds),
      detail: `${got}/${n} deliveries to ${clients} sockets`,
      cpuUsPerOp: usPerOp(m.busyCoreSeconds, got),
    };
  } finally {
    socks.forEach((s) => s.close());
    await receiverSide.close();
    redis.forEach((r) => r.disconnect());
  }
}

/**
 * A Socket.IO request with an acknowledgement alone (what every send costs the edge and the sender before
 * any broker or store): clients emit with an ack callback, 100 in flight in all, to a server that answers.
 */
export async function socketAckPart(n: number, clients: number, bytes: number): Promise<PartResult> {
  const http = createServer();
  const port = await freePort();
  const server = new Server(http);
  await new Promise<void>((r) => http.listen(port, '127.0.0.1', r));
  server.on('connection', (s) =>
    s.on('send', (_body: unknown, ack: (r: unknown) => void) => ack({ ok: true, message: { id: 'x'.repeat(24), seq: 1 } })),
  );
  const socks = await connectClients(port, clients);
  try {
    const body = { receiverId: 'r'.repeat(24), roomId: 'o'.repeat(24), content: 'x'.repeat(bytes), clientMsgId: 'c1' };
    const m = await measured(async () => {
      let next = 0;
      // 100 senders in all, each sending its next request when the last was acknowledged
      await Promise.all(
        Array.from({ length: 100 }, async (_, w) => {
          const s = socks[w % clients];
          while (next < n) {
            next++;
            await s.timeout(30_000).emitWithAck('send', body);
          }
        }),
      );
    });
    return {
      name: 'Socket.IO request + acknowledgement',
      perSecond: Math.round(n / m.seconds),
      detail: `${n} requests from ${clients} sockets, 100 in flight`,
      cpuUsPerOp: usPerOp(m.busyCoreSeconds, n),
    };
  } finally {
    socks.forEach((s) => s.close());
    await server.close();
  }
}
