import mongoose from 'mongoose';
import { isStoreUnavailable } from './connect';

describe('isStoreUnavailable', () => {
  it('takes a lost connection inside a bulk write for an outage, not a bad write', () => {
    const bulk = Object.assign(new Error('connection 2 to 127.0.0.1:44143 closed'), { name: 'MongoBulkWriteError', writeErrors: [] });
    expect(isStoreUnavailable(bulk)).toBe(true);
    const monitor = Object.assign(new Error('connection <monitor> to 127.0.0.1:1 closed'), { name: 'MongoBulkWriteError' });
    expect(isStoreUnavailable(monitor)).toBe(true);
    expect(isStoreUnavailable(Object.assign(new Error('x'), { name: 'MongoNetworkError' }))).toBe(true);
  });
  it('takes a connection pool cleared after a lost connection for an outage (the driver names it MongoPoolClearedError)', () => {
    const cleared = Object.assign(
      new Error(
        'Connection pool for 127.0.0.1:37765 was cleared because another operation failed with: "connection 20 to 127.0.0.1:37765 closed"',
      ),
      {
        name: 'MongoPoolClearedError',
      },
    );
    expect(isStoreUnavailable(cleared)).toBe(true);
    expect(isStoreUnavailable(new mongoose.mongo.MongoNetworkError('connection reset'))).toBe(true);
  });
  it('leaves real write errors alone', () => {
    const dup = Object.assign(new Error('E11000 duplicate key'), { name: 'MongoBulkWriteError', writeErrors: [{ code: 11000 }] });
    expect(isStoreUnavailable(dup)).toBe(false);
    expect(isStoreUnavailable(new Error('validation failed'))).toBe(false);
    expect(isStoreUnavailable(null)).toBe(false);
  });
});
