import { buildTopology } from '@chat/broker';
import type { MessageView, ReceiptCommand } from '@chat/contracts';
import { createLogger } from '@chat/logging';
import { ReceiptBatcher } from './receipt-batcher';

const ROOM = 'a'.repeat(24);
const OTHER = 'b'.repeat(24);
const ME = 'c'.repeat(24);
const PEER = 'd'.repeat(24);
const msg = (roomId: string, seq: number): MessageView => ({
  id: `${roomId.slice(0, 4)}${seq}`,
  roomId,
  seq,
  senderId: PEER,
  receiverId: ME,
  content: 'x',
  clientMsgId: null,
  status: 'sent',
  createdAt: '',
});

describe('ReceiptBatcher', () => {
  let sent: ReceiptCommand[];
  let clock: number;
  let batcher: ReceiptBatcher;
  const advance = async (ms: number) => {
    clock += ms;
    await jest.advanceTimersByTimeAsync(ms);
  };

  beforeEach(() => {
    jest.useFakeTimers();
    sent = [];
    clock = 1_000_000;
    const bus = { publishConfirmed: async (_k: string, p: object) => void sent.push(p as ReceiptCommand), route: buildTopology('t').route };
    batcher = new ReceiptBatcher(bus, createLogger('test', { level: 'silent', instance: 'spec' }), {
      flushMs: 100,
      coalesceMs: 1000,
      now: () => clock,
    });
  });
  afterEach(() => jest.useRealTimers());

  it('sends a quiet room’s receipt on the next tick, naming the sender to notify', async () => {
    batcher.delivered(ME, msg(ROOM, 1));
    await advance(100);
    expect(sent).toHaveLength(1);
    expect(sent[0]).toMatchObject({
      kind: 'delivered',
      userId: ME,
      roomId: ROOM,
      upToSeq: 1,
      messageIds: [`${ROOM.slice(0, 4)}1`],
      notifyUserId: PEER,
    });
  });

  it('dates a merged receipt when the device acknowledged its newest message, not when it went out', async () => {
    batcher.delivered(ME, msg(ROOM, 1));
    await advance(100);
    await advance(200);
    batcher.delivered(ME, msg(ROOM, 2));
    const ackedAt = new Date(clock).toISOString();
    await advance(300);
    batcher.delivered(ME, msg(ROOM, 1)); // an older one acknowledged again later changes nothing
    await advance(1000);
    expect(sent.map((c) => [c.upToSeq, c.at])).toEqual([
      [1, new Date(1_000_000).toISOString()],
      [2, ackedAt],
    ]);
  });

  it('merges a busy room’s receipts into one command per interval, covering the newest seq', async () => {
    batcher.delivered(ME, msg(ROOM, 1));
    await advance(100);
    for (let seq = 2; seq <= 20; seq++) {
      batcher.delivered(ME, msg(ROOM, seq));
      await advance(50);
    }
    // 950 ms after the first command: nothing more yet
    expect(sent).toHaveLength(1);
    await advance(100);
    expect(sent).toHaveLength(2);
    expect(sent[1].upToSeq).toBe(20);
    expect(sent[1].messageIds).toHaveLength(19);
    await advance(2000);
    expect(sent).toHaveLength(2); // nothing new: nothing sent
  });

  it('keeps rooms independent, and a room quiet for an interval is prompt again', async () => {
    batcher.delivered(ME, msg(ROOM, 1));
    await advance(100);
    batcher.delivered(ME, msg(OTHER, 1));
    batcher.delivered(ME, msg(ROOM, 2));
    await advance(100);
    expect(sent.map((c) => [c.roomId, c.upToSeq])).toEqual([
      [ROOM, 1],
      [OTHER, 1],
    ]);
    await advance(1000);
    expect(sent.map((c) => [c.roomId, c.upToSeq])).toContainEqual([ROOM, 2]);
    await advance(1500);
    const before = sent.length;
    batcher.delivered(ME, msg(ROOM, 3));
    await advance(100);
    expect(sent.slice(before).map((c) => [c.roomId, c.upToSeq])).toEqual([[ROOM, 3]]);
  });

  it('stretches the interval when many rooms are busy, so the edge sends about perSecond commands a second', async () => {
    const bus = { publishConfirmed: async (_k: string, p: object) => void sent.push(p as ReceiptCommand), route: buildTopology('t').route };
    const log = createLogger('test', { level: 'silent', instance: 'spec' });
    const rooms = Array.from({ length: 6 }, (_, i) => String(i + 1).repeat(24));
    const run = async (b: ReceiptBatcher) => {
      sent = [];
      // six rooms, each with a message delivered every 500 ms, for 10 s
      for (let t = 0; t < 10_000; t += 500) {
        for (const r of rooms) b.delivered(ME, msg(r, t / 500 + 1));
        await advance(500);
      }
      await advance(6000);
      return sent;
    };
    const fixed = await run(new ReceiptBatcher(bus, log, { flushMs: 100, coalesceMs: 1000, now: () => clock }));
    const adaptive = await run(
      new ReceiptBatcher(bus, log, { flushMs: 100, coalesceMs: 1000, coalesceMaxMs: 5000, perSecond: 2, now: () => clock }),
    );
    // fixed: one command per room per second; adaptive: 6 rooms / 2 a second = one per room per 3 s
    expect(fixed.length).toBeGreaterThanOrEqual(55);
    expect(adaptive.length).toBeLessThanOrEqual(30);
    expect(adaptive.length).toBeGreaterThanOrEqual(18);
    // nothing is lost by merging: every room's last command reaches its newest seq
    for (const r of rooms) expect(Math.max(...adaptive.filter((c) => c.roomId === r).map((c) => c.upToSeq!))).toBe(20);
    // and a quiet edge keeps prompt receipts: one room, its first receipt on the next tick
    const quiet = new ReceiptBatcher(bus, log, { flushMs: 100, coalesceMs: 1000, coalesceMaxMs: 5000, perSecond: 2, now: () => clock });
    sent = [];
    quiet.delivered(ME, msg(OTHER, 1));
    await advance(100);
    expect(sent).toHaveLength(1);
    expect(quiet.intervalMs).toBe(1000);
  });

  it('flush sends everything pending at once (shutdown)', async () => {
    batcher.delivered(ME, msg(ROOM, 1));
    await advance(100);
    batcher.delivered(ME, msg(ROOM, 2));
    await batcher.flush();
    expect(sent.map((c) => c.upToSeq)).toEqual([1, 2]);
  });
});
