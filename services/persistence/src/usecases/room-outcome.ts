import type { FanoutEvent } from '@chat/contracts';

/** Applied, and nobody is told (a block reaching its room's worker, a report stored, a report closed). */
export const QUIET = 'quiet' as const;

/** What applying one room command gives: the event to publish, QUIET, or null (dead-letter it: its room does not exist). */
export type RoomOutcome = FanoutEvent | typeof QUIET | null;
