import fc from 'fast-check';
import { TypingThrottle } from './typing-throttle';

describe('TypingThrottle', () => {
  let sent: Array<{ at: number; key: string; isTyping: boolean }>;
  let throttle: TypingThrottle;
  const at = () => Date.now();
  const advance = (ms: number) => jest.advanceTimersByTime(ms);

  beforeEach(() => {
    jest.useFakeTimers({ now: 1_000_000 });
    sent = [];
    // the defaults, as the edge runs them unless configured otherwise
    throttle = new TypingThrottle((key, isTyping) => sent.push({ at: at(), key, isTyping }));
  });
  afterEach(() => jest.useRealTimers());

  it('tells a start at once and ends it 6 s after the last start by default', () => {
    throttle.input('u|r', true);
    expect(sent.map((s) => s.isTyping)).toEqual([true]);
    advance(5999);
    expect(sent).toHaveLength(1);
    advance(1);
    expect(sent.map((s) => s.isTyping)).toEqual([true, false]);
    advance(60_000);
    expect(sent).toHaveLength(2);
    expect(throttle.size).toBe(0);
  });

  it('repeats a start while the user keeps typing, at most once per 2 s, and ends 6 s after the last', () => {
    const t0 = at();
    for (let i = 0; i < 10; i++) {
      throttle.input('u|r', true);
      advance(500);
    }
    // starts at 0, 2 s and 4 s; the last input at 4.5 s ends at 10.5 s
    advance(6000);
    expect(sent.map((s) => [s.at - t0, s.isTyping])).toEqual([
      [0, true],
      [2000, true],
      [4000, true],
      [10500, false],
    ]);
  });

  it('holds a change back within the interval and sends the last word when it ends', () => {
    const t0 = at();
    throttle.input('u|r', true);
    advance(100);
    throttle.input('u|r', false);
    advance(100);
    throttle.input('u|r', true); // a second start within 2 s of the first: held until 2 s
    advance(100);
    throttle.input('u|r', false);
    throttle.input('u|r', true);
    advance(5000);
    expect(sent.map((s) => [s.at - t0, s.isTyping])).toEqual([
      [0, true],
      [100, false],
      [2000, true],
    ]);
  });

  it('sends a start that was only held back and then withdrawn never, and no stop for it', () => {
    throttle.input('u|r', true);
    throttle.input('u|r', false);
    throttle.input('u|r', true);
    throttle.input('u|r', false);
    advance(10_000);
    expect(sent.map((s) => s.isTyping)).toEqual([true, false]);
  });

  it('keeps keys apart, and a stop without a start says nothing', () => {
    throttle.input('u|r', true);
    throttle.input('v|r', true);
    throttle.input('w|r', false);
    expect(sent.map((s) => s.key)).toEqual(['u|r', 'v|r']);
  });

  it('stopAll ends the matching keys only', () => {
    throttle.input('u|r1', true);
    throttle.input('u|r2', true);
    throttle.input('v|r1', true);
    throttle.stopAll((k) => k.startsWith('u|'));
    expect(sent.filter((s) => !s.isTyping).map((s) => s.key)).toEqual(['u|r1', 'u|r2']);
  });

  it('whatever the inputs: at most one event per 2 s per direction, and the members end up told the last word', () => {
    fc.assert(
      fc.property(fc.array(fc.tuple(fc.boolean(), fc.integer({ min: 0, max: 3000 })), { minLength: 1, maxLength: 40 }), (steps) => {
        sent = [];
        const th = new TypingThrottle((key, isTyping) => sent.push({ at: at(), key, isTyping }), { stopAfterMs: 6000 });
        for (const [isTyping, gap] of steps) {
          th.input('k', isTyping);
          advance(gap);
        }
        advance(20_000);
        for (const dir of [true, false]) {
          const times = sent.filter((s) => s.isTyping === dir).map((s) => s.at);
          for (let i = 1; i < times.length; i++) expect(times[i] - times[i - 1]).toBeGreaterThanOrEqual(2000);
        }
        // a start was shown at some point, so it has been ended (explicitly or after 6 s); events alternate sensibly
        if (sent.length > 0) expect(sent[sent.length - 1].isTyping).toBe(false);
        expect(th.size).toBe(0);
      }),
      { numRuns: 200 },
    );
  });
});
