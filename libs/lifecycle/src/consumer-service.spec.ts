import { Invalid, Unavailable } from '@chat/contracts';
import { StoreTimeoutError } from '@chat/store';
import { isTransient } from './consumer-service';

describe('isTransient (which failed batches wait and retry instead of counting toward dead-lettering)', () => {
  it('holds the batch while the store, Redis or the broker is down', () => {
    expect(isTransient(new StoreTimeoutError('insert: the store did not answer'))).toBe(true);
    expect(isTransient(Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:6379'), { code: 'ECONNREFUSED' }))).toBe(true);
    expect(isTransient(new Error('Connection is closed.'))).toBe(true);
    expect(isTransient(new Unavailable('message broker did not confirm: timeout'))).toBe(true);
  });

  it('lets anything else count, so a poison batch reaches the dead-letter queue', () => {
    expect(isTransient(new Error('seq collision in r1: another worker wrote the room; reading it again'))).toBe(false);
    expect(isTransient(new Invalid('bad payload'))).toBe(false);
    expect(isTransient(undefined)).toBe(false);
  });
});
