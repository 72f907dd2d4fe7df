import type { NewMessage } from '@chat/store';

type Insert = (docs: NewMessage[]) => Promise<Set<string>>;

interface Waiting {
  docs: NewMessage[];
  resolve: (collided: Set<string>) => void;
  reject: (err: unknown) => void;
}

/**
 * Merges the message inserts of batches stored at the same time into one insert command. A worker's
 * partitions run side by side, and with many quiet rooms each partition's batch holds a message or two,
 * so storing batch by batch cost nearly an insert command per message; on the store stand-in a command
 * of one document takes about 9x the CPU of one document in a command of 100 (the bench's parts).
 *
 * Group commit: one insert command in flight at a time. A call made while none is goes out at the end
 * of the event loop's turn (with the others of that turn), so a quiet worker adds no wait; calls made
 * while one is in flight wait for it and then go out together, so the busier the store, the larger the
 * command. `lingerMs` (0 by default) makes a command wait that long for company besides.
 * Each caller gets back the ids of its own documents that were already stored, as from a call of its own;
 * a partition still waits for its own insert before it publishes, so every room keeps its order. When a
 * merged insert fails for a reason other than the store being unreachable, every caller's documents are
 * inserted again on their own, so a document that cannot be stored fails only its own batch.
 */
export class InsertCoalescer {
  private waiting: Waiting[] = [];
  private waitingDocs = 0;
  /** Cancels the scheduled flush, while one is scheduled. */
  private cancelFlush: (() => void) | null = null;
  private inFlight = false;

  constructor(
    private readonly insert: Insert,
    private readonly isUnavailable: (err: unknown) => boolean,
    private readonly opts: { lingerMs?: number; maxDocs?: number } = {},
  ) {}

  insertIdempotent(docs: NewMessage[]): Promise<Set<string>> {
    if (docs.length === 0) return Promise.resolve(new Set());
    return new Promise((resolve, reject) => {
      this.waiting.push({ docs, resolve, reject });
      this.waitingDocs += docs.length;
      this.schedule();
    });
  }

  /** Starts the next command now, at the end of this turn or after the linger, unless one is in flight. */
  private schedule(): void {
    if (this.inFlight || this.waiting.length === 0) return;
    if (this.waitingDocs >= (this.opts.maxDocs ?? 1000)) return this.flush();
    if (this.cancelFlush) return;
    const linger = this.opts.lingerMs ?? 0;
    if (linger > 0) {
      const t = setTimeout(() => this.flush(), linger);
      this.cancelFlush = () => clearTimeout(t);
    } else {
      const t = setImmediate(() => this.flush());
      this.cancelFlush = () => clearImmediate(t);
    }
  }

  private flush(): void {
    this.cancelFlush?.();
    this.cancelFlush = null;
    const callers = this.waiting;
    this.waiting = [];
    this.waitingDocs = 0;
    if (callers.length === 0) return;
    this.inFlight = true;
    void this.run(callers).finally(() => {
      this.inFlight = false;
      this.schedule();
    });
  }

  private async run(callers: Waiting[]): Promise<void> {
    if (callers.length === 1) return this.alone(callers[0]);
    let collided: Set<string>;
    try {
      collided = await this.insert(callers.flatMap((c) => c.docs));
    } catch (err) {
      if (this.isUnavailable(err)) {
        for (const c of callers) c.reject(err);
        return;
      }
      // a document inserted by the failed command shows as already stored on the second try, which its
      // caller answers with the stored copy: the same message and seq
      await Promise.all(callers.map((c) => this.alone(c)));
      return;
    }
    for (const c of callers) c.resolve(new Set(c.docs.filter((d) => collided.has(d.id)).map((d) => d.id)));
  }

  private async alone(c: Waiting): Promise<void> {
    try {
      c.resolve(await this.insert(c.docs));
    } catch (err) {
      c.reject(err);
    }
  }
}
