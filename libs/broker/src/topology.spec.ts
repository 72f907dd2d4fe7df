import { partitionOf, RoutingKeys } from '@chat/contracts';
import { buildTopology } from './topology';

describe('buildTopology', () => {
  it('has one queue per partition and stage, and routes a room to the queue of its partition', () => {
    for (const n of [8, 16]) {
      const t = buildTopology('ns', n);
      expect([t.persistQueues.length, t.fanoutQueues.length, t.receiptQueues.length]).toEqual([n, n, n]);
      for (const room of ['65a000000000000000000001', '65a000000000000000000002', 'abc']) {
        const key = t.route(RoutingKeys.messageSend, room);
        const bound = t.queues.filter((q) => q.bindings.some((b) => b.routingKey === key)).map((q) => q.name);
        expect(bound).toEqual([`ns.persistence.message.store.p${partitionOf(room, n)}`]);
      }
    }
  });

  it('refuses a partition count that is not a positive integer', () => {
    for (const bad of [0, -1, 1.5, Number.NaN]) expect(() => buildTopology('ns', bad)).toThrow(/partitions must be a positive integer/);
  });
});
