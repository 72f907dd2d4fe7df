import { storeOpSeconds, timedCalls } from './metrics';

const count = async (op: string) =>
  (await storeOpSeconds.get()).values.find((v) => v.metricName === 'chat_store_op_seconds_count' && v.labels.op === op)?.value ?? 0;

class Store {
  private readonly rows = ['r1'];
  async find(i: number): Promise<string> {
    return this.rows[i];
  }
  async slow(): Promise<string> {
    return new Promise(() => undefined);
  }
}

describe('timedCalls', () => {
  it('times each named call under its op label and keeps the store as `this`', async () => {
    const port = timedCalls(new Store(), { find: 'spec.find' });
    const before = await count('spec.find');
    await expect(port.find(0)).resolves.toBe('r1');
    await port.find(0);
    expect((await count('spec.find')) - before).toBe(2);
  });

  it('bounds each call with the given deadline, told the op', async () => {
    const told: string[] = [];
    const port = timedCalls(
      new Store(),
      { slow: 'spec.slow' },
      (call, op) => (told.push(op), Promise.race([call, Promise.reject(new Error(`${op}: too slow`))])),
    );
    await expect(port.slow()).rejects.toThrow('spec.slow: too slow');
    expect(told).toEqual(['spec.slow']);
  });
});
