import { RoutingKeys, type FanoutEvent } from '@chat/contracts';
import { deliveryLatency, offlineParked } from '@chat/ops';
import type { DeliveryReport } from './usecases/deliver-messages/deliver-messages.usecase';

/** Counts a handled batch: each new message's time from acceptance to delivery (replays are not new), and what was parked. */
export function recordDelivered(events: FanoutEvent[], report: DeliveryReport, now = Date.now()): void {
  for (const e of events) {
    if (e.type === RoutingKeys.messagePersisted && !e.replay)
      deliveryLatency.observe(Math.max(0, now - Date.parse(e.message.createdAt)) / 1000);
  }
  if (report.parked > 0) offlineParked.inc(report.parked);
}
