import { cpuFloor, usPerMessage } from './budget';

const part = (name: string, cpuUsPerOp?: number) => ({ name, perSecond: 1, detail: '', cpuUsPerOp });

describe('cpuFloor', () => {
  it('adds the request with its ack, two broker hops, one batched insert and two socket deliveries, and divides the cores by it', () => {
    const floor = cpuFloor(
      [
        part('RabbitMQ publish (confirms, window 100) + consume', 150),
        part('store insert, single (20 concurrent)', 900),
        part('store insert, batches of 100', 170),
        part('store update by _id (20 concurrent)', 1400),
        part('Redis adapter → socket delivery', 120),
        part('Socket.IO request + acknowledgement', 90),
      ],
      2,
    );
    expect(floor?.usPerMessage).toBe(90 + 2 * 150 + 170 + 2 * 120);
    expect(floor?.ceilingPerSecond).toBe(Math.round(2e6 / 800));
    expect(floor?.terms.map((t) => t.times)).toEqual([1, 2, 1, 2]);
  });

  it('is unknown when a part was not measured (a remote server: no store part)', () => {
    const broker = part('RabbitMQ publish (confirms, window 100) + consume', 150);
    const ack = part('Socket.IO request + acknowledgement', 90);
    expect(cpuFloor([ack, broker, part('Redis adapter → socket delivery', 120)], 2)).toBeNull();
    expect(cpuFloor([ack, broker, part('store insert, batches of 100'), part('Redis adapter x', 120)], 2)).toBeNull();
  });
});

describe('usPerMessage', () => {
  it('turns a step’s machine CPU and throughput into core-microseconds per message', () => {
    expect(usPerMessage(190, 250)).toBe(7600);
    expect(usPerMessage(190, 0)).toBeNull();
  });
});
