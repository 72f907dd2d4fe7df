import { setTimeout as sleep } from 'node:timers/promises';
import { idAgeMs } from '@chat/contracts';

/** How long after the edge issued an id (a group, an invite) a miss is taken for "still in the queue". */
export const READ_YOUR_WRITES_WINDOW_MS = 5_000;

/**
 * Read-your-writes for things created through the broker. The edge answers 202 as soon as a create is
 * confirmed by RabbitMQ; the worker writes it a moment later. A request that names the new id in between
 * (send to a group just created, answer an invite just sent) should not get 404, so while the id's own
 * timestamp says it is younger than the window, a miss is re-read with a short backoff. Ids that are
 * old, malformed or from the future miss at once, so guessing costs the guesser nothing but a 404.
 */
export async function readYourWrites<T>(
  id: string,
  read: () => Promise<T | null>,
  windowMs = READ_YOUR_WRITES_WINDOW_MS,
  now: () => number = Date.now,
): Promise<T | null> {
  let found = await read();
  let delay = 20;
  while (found === null && idAgeMs(id, now()) < windowMs) {
    await sleep(delay);
    delay = Math.min(delay * 2, 250);
    found = await read();
  }
  return found;
}

/**
 * The message `find` returns, or, if `userId` just sent it and it is still on its way to the store (the
 * accepted log has it), what `find` returns once it lands, polled for up to `waitMs`.
 */
export async function storedOrLanding<T>(
  find: () => Promise<T | null>,
  accepted: { get(messageId: string): Promise<{ senderId: string } | null> },
  messageId: string,
  userId: string,
  waitMs: number,
): Promise<T | null> {
  const stored = await find();
  if (stored) return stored;
  const pending = await accepted.get(messageId);
  if (!pending || pending.senderId !== userId) return null;
  const deadline = Date.now() + waitMs;
  while (Date.now() < deadline) {
    await new Promise((r) => setTimeout(r, 25));
    const landed = await find();
    if (landed) return landed;
  }
  return null;
}
