/** At most one typing event per this interval per (user, room) and direction. */
export const TYPING_MIN_INTERVAL_MS = 2000;
/** A start not refreshed for this long ends (the default of TYPING_STOP_MS). */
export const TYPING_STOP_MS = 6000;

interface KeyState {
  /** What the user last said (or the implicit stop). */
  want: boolean;
  /** What the room's other members were last told. */
  shown: boolean;
  lastSent: { true: number; false: number };
  /** A change held back by the interval, sent when it ends. */
  pending: NodeJS.Timeout | null;
  /** The implicit stop. */
  stop: NodeJS.Timeout | null;
  /** Forgets an idle key once the interval cannot matter any more. */
  forget: NodeJS.Timeout | null;
}

/**
 * Turns a device's typing starts and stops into what the room's other members are told, per (user, room)
 * key: at most one start and one stop per `minIntervalMs` (a change held back is sent when the interval
 * ends, so the last word always arrives), starts repeated while the user keeps typing at most once per
 * interval (a client may time a start out itself), and a stop `stopAfterMs` after the last start.
 */
export class TypingThrottle {
  private readonly keys = new Map<string, KeyState>();
  private readonly minIntervalMs: number;
  private readonly stopAfterMs: number;

  constructor(
    private readonly emit: (key: string, isTyping: boolean) => void,
    opts: { minIntervalMs?: number; stopAfterMs?: number } = {},
    private readonly now: () => number = Date.now,
  ) {
    this.minIntervalMs = opts.minIntervalMs ?? TYPING_MIN_INTERVAL_MS;
    this.stopAfterMs = opts.stopAfterMs ?? TYPING_STOP_MS;
  }

  /** How many keys are tracked (typing, or stopped within the last interval). */
  get size(): number {
    return this.keys.size;
  }

  input(key: string, isTyping: boolean): void {
    let s = this.keys.get(key);
    if (!s) {
      if (!isTyping) return; // nobody was told of a start: nothing to stop
      s = { want: false, shown: false, lastSent: { true: -Infinity, false: -Infinity }, pending: null, stop: null, forget: null };
      this.keys.set(key, s);
    }
    if (s.forget) clearTimeout(s.forget);
    s.forget = null;
    s.want = isTyping;
    if (s.stop) clearTimeout(s.stop);
    s.stop = null;
    if (isTyping) {
      s.stop = setTimeout(() => this.input(key, false), this.stopAfterMs);
      s.stop.unref?.();
      // a refresh of a start already shown: repeated once the interval allows, else dropped
      if (s.shown && !s.pending && this.now() - s.lastSent.true >= this.minIntervalMs) this.send(key, s, true);
      else if (!s.shown) this.settle(key, s);
    } else if (s.shown || s.pending) {
      this.settle(key, s);
    }
    this.maybeForget(key, s);
  }

  /** Ends every key for which `match` holds (the user's last socket here closed): stops are sent as usual. */
  stopAll(match: (key: string) => boolean): void {
    for (const key of [...this.keys.keys()]) if (match(key)) this.input(key, false);
  }

  /** Sends what the user wants now if its direction's interval allows, else once it does. */
  private settle(key: string, s: KeyState): void {
    if (s.want === s.shown) {
      if (s.pending) clearTimeout(s.pending);
      s.pending = null;
      return;
    }
    const wait = s.lastSent[String(s.want) as 'true' | 'false'] + this.minIntervalMs - this.now();
    if (wait <= 0) return this.send(key, s, s.want);
    if (s.pending) return;
    s.pending = setTimeout(() => {
      s.pending = null;
      this.settle(key, s);
      this.maybeForget(key, s);
    }, wait);
    s.pending.unref?.();
  }

  private send(key: string, s: KeyState, isTyping: boolean): void {
    if (s.pending) clearTimeout(s.pending);
    s.pending = null;
    s.shown = isTyping;
    s.lastSent[String(isTyping) as 'true' | 'false'] = this.now();
    this.emit(key, isTyping);
  }

  /** A stopped key with nothing pending is dropped once a new start could not be held back by it. */
  private maybeForget(key: string, s: KeyState): void {
    if (s.want || s.shown || s.pending || s.forget) return;
    const wait = Math.max(0, s.lastSent.true + this.minIntervalMs - this.now(), s.lastSent.false + this.minIntervalMs - this.now());
    s.forget = setTimeout(() => {
      if (this.keys.get(key) === s && !s.want && !s.shown && !s.pending) this.keys.delete(key);
    }, wait);
    s.forget.unref?.();
  }
}
