import { storeOps, storeOpsBetween } from './store-ops';

describe('storeOps', () => {
  it('sums each operation over the copies of a service and gives its mean time', () => {
    const a = [
      'chat_store_op_seconds_bucket{le="0.01",service="persistence",instance="persistence-1",op="conversation.reserveSeqs"} 3',
      'chat_store_op_seconds_sum{service="persistence",instance="persistence-1",op="conversation.reserveSeqs"} 0.3',
      'chat_store_op_seconds_count{service="persistence",instance="persistence-1",op="conversation.reserveSeqs"} 10',
      'chat_store_op_seconds_sum{service="persistence",instance="persistence-1",op="message.insertMany"} 0.02',
      'chat_store_op_seconds_count{service="persistence",instance="persistence-1",op="message.insertMany"} 4',
    ].join('\n');
    const b = [
      'chat_store_op_seconds_sum{service="persistence",instance="persistence-2",op="conversation.reserveSeqs"} 0.5',
      'chat_store_op_seconds_count{service="persistence",instance="persistence-2",op="conversation.reserveSeqs"} 10',
    ].join('\n');
    expect(storeOps([a, b, 'unrelated 1'])).toEqual([
      { service: 'persistence', op: 'conversation.reserveSeqs', count: 20, meanMs: 40 },
      { service: 'persistence', op: 'message.insertMany', count: 4, meanMs: 5 },
    ]);
  });
});

describe('storeOpsBetween', () => {
  it('is what was called between two readings, with the mean of those calls alone', () => {
    const before = [{ service: 'persistence', op: 'message.insertMany', count: 10, meanMs: 2 }];
    const after = [
      { service: 'persistence', op: 'message.insertMany', count: 30, meanMs: 3 },
      { service: 'receipts', op: 'cursor.advance', count: 5, meanMs: 1 },
    ];
    expect(storeOpsBetween(before, after)).toEqual([
      { service: 'persistence', op: 'message.insertMany', count: 20, meanMs: 3.5 },
      { service: 'receipts', op: 'cursor.advance', count: 5, meanMs: 1 },
    ]);
  });
});
