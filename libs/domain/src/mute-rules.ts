import { Invalid } from '@chat/contracts';

/** A user's mute of one room as stored: `muted` with no `mutedUntil` lasts until unmuted. */
export interface RoomMute {
  muted?: boolean | null;
  mutedUntil?: Date | string | null;
}

/** Whether the mute holds at `now` (a mute whose `mutedUntil` has passed has ended by itself). */
export function isMuted(m: RoomMute | null | undefined, now: Date): boolean {
  if (!m?.muted) return false;
  return !m.mutedUntil || new Date(m.mutedUntil).getTime() > now.getTime();
}

/**
 * The mute to store for a request: `muted: true` with an optional `until` in the future, or `muted: false`
 * (which clears it; an `until` with it is refused, as it means nothing).
 */
export function decideMute(req: { muted: boolean; until?: string }, now: Date): { muted: boolean; mutedUntil: Date | null } {
  if (!req.muted) {
    if (req.until !== undefined) throw new Invalid('until only goes with muted: true');
    return { muted: false, mutedUntil: null };
  }
  if (req.until === undefined) return { muted: true, mutedUntil: null };
  const until = new Date(req.until);
  if (Number.isNaN(until.getTime())) throw new Invalid('until must be an ISO 8601 date-time');
  if (until.getTime() <= now.getTime()) throw new Invalid('until must be in the future');
  return { muted: true, mutedUntil: until };
}
