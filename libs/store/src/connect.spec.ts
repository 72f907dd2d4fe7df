import { isStoreUnavailable } from './connect';

describe('isStoreUnavailable', () => {
  it('takes a lost connection inside a bulk write for an outage, not a bad write', () => {
    const bulk = Object.assign(new Error('connection 2 to 127.0.0.1:44143 closed'), { name: 'MongoBulkWriteError', writeErrors: [] });
    expect(isStoreUnavailable(bulk)).toBe(true);
    const monitor = Object.assign(new Error('connection <monitor> to 127.0.0.1:1 closed'), { name: 'MongoBulkWriteError' });
    expect(isStoreUnavailable(monitor)).toBe(true);
    expect(isStoreUnavailable(Object.assign(new Error('x'), { name: 'MongoNetworkError' }))).toBe(true);
  });
  it('leaves real write errors alone', () => {
    const dup = Object.assign(new Error('E11000 duplicate key'), { name: 'MongoBulkWriteError', writeErrors: [{ code: 11000 }] });
    expect(isStoreUnavailable(dup)).toBe(false);
    expect(isStoreUnavailable(new Error('validation failed'))).toBe(false);
    expect(isStoreUnavailable(null)).toBe(false);
  });
});
