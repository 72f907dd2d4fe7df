import { RoutingKeys, type FanoutEvent } from '@chat/contracts';
import { observeStage } from '@chat/ops';

/** The stored stage of each new message (accepted at the edge → handed to the store); a repeat is not new. */
export function recordStored(events: Array<FanoutEvent | null>): void {
  for (const e of events) {
    if (e?.type !== RoutingKeys.messagePersisted || e.replay || !e.storedAt) continue;
    observeStage('stored', Date.parse(e.storedAt) - Date.parse(e.message.createdAt));
  }
}
