import { RoutingKeys } from '@chat/contracts';
import type { RoomOutcome } from './usecases/room-outcome';
import { observeStage } from '@chat/ops';

/** The stored stage of each new message (accepted at the edge → handed to the store); a repeat is not new. */
export function recordStored(events: RoomOutcome[]): void {
  for (const e of events) {
    if (!e || e === 'quiet' || e.type !== RoutingKeys.messagePersisted || e.replay || !e.storedAt) continue;
    observeStage('stored', Date.parse(e.storedAt) - Date.parse(e.message.createdAt));
  }
}
