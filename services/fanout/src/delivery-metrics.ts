import { RoutingKeys, type FanoutEvent } from '@chat/contracts';
import type { FanoutRecord } from '@chat/delivery';
import { deliveryLatency, observeStage, offlineParked } from '@chat/ops';
import type { DeliveryReport } from './usecases/deliver-messages/deliver-messages.usecase';

/**
 * Counts a handled batch: each new message's time from acceptance to delivery and its fanned-out stage
 * (stored → handed on; replays are not new), and what was parked.
 */
export function recordDelivered(events: FanoutEvent[], report: DeliveryReport, now = Date.now()): void {
  for (const e of events) {
    if (e.type === RoutingKeys.messagePersisted && !e.replay)
      deliveryLatency.observe(Math.max(0, now - Date.parse(e.message.createdAt)) / 1000);
  }
  for (const m of report.messages) if (!m.replay && m.storedAt) observeStage('fanned_out', report.handedAt - Date.parse(m.storedAt));
  if (report.parked > 0) offlineParked.inc(report.parked);
}

/** What the delivery trace keeps of the batch's messages. */
export function fanoutRecords(report: DeliveryReport): FanoutRecord[] {
  return report.messages.map(({ messageId, online, parked, edges, replay, storedAt, acceptedBy }) => ({
    messageId,
    at: report.handedAt,
    online,
    parked,
    edges,
    replay,
    ...(storedAt ? { storedAt: Date.parse(storedAt) } : {}),
    ...(acceptedBy ? { acceptedBy } : {}),
  }));
}
