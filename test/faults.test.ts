import { LoadUser } from './support/load-client';
import amqp from 'amqplib';
import { buildTopology } from '@chat/broker';
import { partitionOf, DEFAULT_PARTITIONS, type MessageView } from '@chat/contracts';
import { eventually, TestStack } from './support/harness';
import { webhookTally } from './support/tally';

/** Process deaths mid-stream: what the sender saw acknowledged must be stored once and delivered once. */
describe('worker crashes', () => {
  // webhooks (and push) on: the zeros hold with them, and every message sent through the kills is told
  const t = new TestStack({ outbound: true });
  const sentThroughKills: string[] = [];
  beforeAll(() => t.start(), 120_000);
  afterAll(() => t.stop(), 60_000);

  /** Sends `n` messages pipelined from one user, SIGKILLs `victims` once `killAt` are on their way, restarts them. */
  async function sendThroughKills(tag: string, n: number, killAt: number, victims: string[]) {
    const { b, ta, tb, roomId } = await t.pair();
    const alice = await t.connect(ta, 0);
    const bob = await t.connect(tb, 1);
    const sends: Array<Promise<{ ok: boolean; message: MessageView }>> = [];
    let killed: Promise<unknown> | null = null;
    for (let i = 0; i < n; i++) {
      sends.push(alice.request('send_message', { receiverId: b, roomId, content: `${tag}${i}`, clientMsgId: `${tag}-${i}` }));
      if (i === killAt) killed = Promise.all(victims.map((v) => t.stack.kill(v)));
    }
    await killed;
    const acks = await Promise.all(sends);
    sentThroughKills.push(...acks.filter((a) => a.ok).map((a) => a.message.id));
    // nothing moves at that stage while its workers are dead; start them again
    await Promise.all(victims.map((v) => t.stack.restart(v)));
    await bob.waitFor(() => bob.received.length >= n, `all ${n} delivered`, 60_000);
    // the kill met the traffic: messages waited for the dead stage and the restarted workers took them
    let met = 0;
    for (const v of victims) met += await t.metricSum(v, 'chat_broker_consumed_total');
    expect(met).toBeGreaterThan(0);
    await new Promise((r) => setTimeout(r, 1000));
    return { acks, bob, roomId, ta };
  }

  it('SIGKILL of every persistence worker with 200 messages in flight loses and duplicates nothing', async () => {
    const { acks, bob, roomId, ta } = await sendThroughKills('k', 200, 60, ['persistence-1', 'persistence-2']);
    expect(acks.every((a) => a.ok)).toBe(true);
    const ids = bob.received.map((m) => m.id);
    expect(new Set(ids).size).toBe(200);
    expect(bob.received).toHaveLength(200);
    expect(new Set(ids)).toEqual(new Set(acks.map((a) => a.message.id)));
    const seqs = bob.received.map((m) => m.seq!);
    expect(seqs.every((s, i) => i === 0 || s > seqs[i - 1])).toBe(true);
    expect(bob.received.map((m) => m.content)).toEqual(acks.map((_, i) => `k${i}`));

    await eventually(
      async () => (await t.http('GET', `/chat/messages/${roomId}?limit=100&after=0`, { token: ta })).body.messages.length === 100,
      'stored',
    );
    const stored = await t.storedMessages(roomId, ta);
    expect(stored).toHaveLength(200);
    expect(new Set(stored.map((m) => m.id)).size).toBe(200);
  });

  it('SIGKILL of the fanout workers mid-stream still delivers every message exactly once', async () => {
    const { acks, bob } = await sendThroughKills('f', 200, 80, ['fanout-1', 'fanout-2']);
    expect(acks.every((a) => a.ok)).toBe(true);
    expect(bob.received.map((m) => m.content)).toEqual([...Array(200).keys()].map((i) => `f${i}`));
  });

  it('the webhook receiver was told every message sent through the kills, each under one event id', async () => {
    expect(sentThroughKills.length).toBe(400);
    // a SIGKILLed fanout's deliveries wait for their locks to lapse (15 s) before another copy sends them
    await eventually(() => webhookTally(sentThroughKills, t.webhooks.events()).lost === 0, 'every message told', 90_000);
    expect(webhookTally(sentThroughKills, t.webhooks.events())).toMatchObject({ stored: 400, lost: 0, idConflicts: 0 });
  }, 120_000);

  it('SIGTERM of each worker mid-stream exits 0 and loses nothing (rolling restart)', async () => {
    const { b, ta, tb, roomId } = await t.pair();
    const alice = await t.connect(ta, 0);
    const bob = await t.connect(tb, 1);
    const sends: Array<Promise<{ ok: boolean }>> = [];
    const exits: Array<Promise<{ code: number | null; met: boolean }>> = [];
    // each stop is signalled with messages sent and not yet delivered: it meets traffic
    const stop = (name: string) => {
      const met = sends.length - bob.received.length > 0;
      return t.stack.kill(name, 'SIGTERM').then((code) => ({ code, met }));
    };
    for (let i = 0; i < 150; i++) {
      sends.push(alice.request('send_message', { receiverId: b, roomId, content: `s${i}`, clientMsgId: `s-${i}` }));
      if (i === 30) exits.push(stop('persistence-1'));
      if (i === 60) exits.push(stop('fanout-1'));
      if (i === 90) exits.push(stop('receipts-1'));
    }
    expect(await Promise.all(exits)).toEqual([0, 0, 0].map((code) => ({ code, met: true })));
    expect((await Promise.all(sends)).every((r) => r.ok)).toBe(true);
    await Promise.all(['persistence-1', 'fanout-1', 'receipts-1'].map((n) => t.stack.restart(n)));
    expect(await Promise.all(['persistence-2', 'fanout-2', 'receipts-2'].map((n) => t.stack.kill(n, 'SIGTERM')))).toEqual([0, 0, 0]);
    await Promise.all(['persistence-2', 'fanout-2', 'receipts-2'].map((n) => t.stack.restart(n)));
    await bob.waitFor(() => bob.received.length >= 150, 'all 150 delivered', 60_000);
    await new Promise((r) => setTimeout(r, 500));
    expect(bob.received.map((m) => m.content)).toEqual([...Array(150).keys()].map((i) => `s${i}`));
  });

  it('rolling restart of every service by SIGTERM under traffic: each exits 0; nothing lost, repeated or reordered', async () => {
    const { b, ta, tb, roomId } = await t.pair();
    const urls = t.stack.edgeUrls;
    const alice = new LoadUser(urls, ta, 0);
    const bob = new LoadUser(urls, tb, 1);
    await Promise.all([alice.connect(), bob.connect()]);
    let stop = false;
    const sending = (async () => {
      for (let i = 0; !stop; i++) {
        await alice.send({ receiverId: b, roomId, content: `r${i}`, clientMsgId: `r-${i}` });
        await new Promise((r) => setTimeout(r, 20));
      }
    })();
    const exits: Record<string, number | null> = {};
    // sends acknowledged from each stop to the end of its restart: traffic went on through each of them
    const met: Record<string, number> = {};
    for (const name of ['auth', 'edge-1', 'edge-2', 'persistence-1', 'persistence-2', 'fanout-1', 'fanout-2', 'receipts-1', 'receipts-2']) {
      const before = alice.acked.length;
      exits[name] = await t.stack.kill(name, 'SIGTERM');
      await t.stack.restart(name);
      await eventually(() => alice.acked.length > before, `a send acknowledged across the restart of ${name}`, 60_000).catch(
        () => undefined,
      );
      met[name] = alice.acked.length - before;
    }
    stop = true;
    await sending;
    expect(Object.values(exits).every((code) => code === 0) ? 'all 0' : exits).toBe('all 0');
    expect(Object.entries(met).filter(([, n]) => n === 0)).toEqual([]);
    const sent = alice.acked.map((m) => m.id);
    expect(sent.length).toBeGreaterThan(50);
    await eventually(() => sent.every((id) => bob.events.some((m) => m.id === id)), 'every acknowledged message delivered', 60_000);
    await new Promise((r) => setTimeout(r, 1000));
    expect(bob.events.map((m) => m.id)).toEqual(sent);
    expect(alice.reconnects + bob.reconnects).toBeGreaterThanOrEqual(2);
    alice.close();
    bob.close();
  }, 240_000);

  it('dead-letters a poison message without blocking the messages behind it', async () => {
    const { b, ta, tb, roomId } = await t.pair();
    const topology = buildTopology(t.namespace);
    const p = partitionOf(roomId, DEFAULT_PARTITIONS);
    const conn = await amqp.connect(process.env.TEST_RABBITMQ_URL!);
    try {
      const ch = await conn.createConfirmChannel();
      const before = (await ch.checkQueue(topology.deadLetterQueue)).messageCount;
      // garbage and a well-formed command for a room that does not exist, on the same partition as the room
      ch.publish(topology.exchange, `message.send.v1.p${p}`, Buffer.from('{"not":"a command"'), { persistent: true });
      ch.publish(
        topology.exchange,
        `message.send.v1.p${p}`,
        Buffer.from(
          JSON.stringify({
            type: 'message.send.v1',
            correlationId: 'poison',
            message: {
              id: 'e'.repeat(24),
              roomId: 'f'.repeat(24),
              senderId: 'a'.repeat(24),
              receiverId: b,
              content: 'x',
              clientMsgId: null,
              createdAt: new Date().toISOString(),
            },
          }),
        ),
        { persistent: true },
      );
      await ch.waitForConfirms();
      const alice = await t.connect(ta, 0);
      const bob = await t.connect(tb, 1);
      await alice.request('send_message', { receiverId: b, roomId, content: 'behind the poison', clientMsgId: 'after-poison' });
      await bob.waitFor(() => bob.received.some((m) => m.content === 'behind the poison'), 'the message behind the poison');
      await eventually(
        async () => (await ch.checkQueue(topology.deadLetterQueue)).messageCount >= before + 2,
        'both in the dead-letter queue',
      );
      await ch.close();
    } finally {
      await conn.close();
    }
  });
});
