/**
 * Keeps one user's writes in the order they reached this edge. Each write does its checks concurrently
 * with the others, then waits for its turn (every earlier write of the same user handed to the broker, or
 * failed) before it publishes, and hands the turn on as soon as its publish is queued, so confirms still
 * overlap. Sends, edits and deletes share the lane: an edit never overtakes the send or edit before it.
 */
export class SenderLanes {
  private readonly tails = new Map<string, Promise<void>>();

  async run<T>(key: string, work: (turn: () => Promise<void>, handOver: () => void) => Promise<T>): Promise<T> {
    const previous = this.tails.get(key) ?? Promise.resolve();
    let handOver!: () => void;
    const mine = new Promise<void>((resolve) => (handOver = resolve));
    const tail = previous.then(() => mine);
    this.tails.set(key, tail);
    void tail.then(() => {
      if (this.tails.get(key) === tail) this.tails.delete(key);
    });
    try {
      return await work(() => previous, handOver);
    } finally {
      handOver();
    }
  }

  get size(): number {
    return this.tails.size;
  }
}
