import type { DeliveryTraces } from '@chat/delivery';
import { observeStage } from '@chat/ops';
import type { AppliedMove } from './usecases/apply-receipts/apply-receipts.usecase';

/**
 * The delivered and read stages of the messages a batch's cursor moves ended at (the newest message each
 * receipt named): delivered is timed from the message's fan-out, read from its first delivery, which is
 * noted here in the message's trace record. One Redis round trip per batch, none per message.
 */
export async function recordReceiptStages(traces: Pick<DeliveryTraces, 'readAndMarkDelivered'>, moves: AppliedMove[]): Promise<void> {
  const moved = moves.filter((m): m is AppliedMove & { messageId: string } => m.to > m.from && m.messageId !== null);
  if (moved.length === 0) return;
  const firstDelivered = new Map<string, number>();
  for (const m of moved) if (m.kind === 'delivered' && !firstDelivered.has(m.messageId)) firstDelivered.set(m.messageId, m.at.getTime());
  const records = await traces.readAndMarkDelivered(
    [...new Set(moved.map((m) => m.messageId))],
    [...firstDelivered].map(([messageId, at]) => ({ messageId, at })),
  );
  for (const m of moved) {
    const r = records.get(m.messageId);
    if (m.kind === 'delivered') {
      if (r?.fannedOut) observeStage('delivered', m.at.getTime() - r.fannedOut.at);
      continue;
    }
    const delivered = r?.deliveredAt ?? firstDelivered.get(m.messageId);
    if (delivered !== undefined) observeStage('read', m.at.getTime() - delivered);
  }
}
