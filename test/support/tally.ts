/**
 * The one count every fault test makes of a conversation: what the sender was acknowledged, in the order
 * it sent (each send waits for its acknowledgement, so that is the order the room must keep), against what
 * the store holds and what the receiver was shown, in the order it was shown.
 */
export interface Tally {
  acked: number;
  stored: number;
  seen: number;
  /** Acknowledged, and then not stored or (when a receiver is counted) never shown. */
  lost: number;
  /** Shows of a message the receiver had already been shown. */
  duplicates: number;
  /**
   * Places where the room does not follow the send order: a message stored with a lower seq than one sent
   * before it, or shown after one sent after it (each out-of-order message counts once per place).
   */
  order: number;
}

interface Sent {
  id: string;
}
interface StoredMessage {
  id: string;
  seq: number | null;
}

/**
 * `acked`: the sender's acknowledged messages in send order; `stored`: the room as the store (or the history
 * API) returns it; `shown`: every receive as it arrived, repeats included, or null when no receiver is counted.
 */
export function tally(acked: readonly Sent[], stored: readonly StoredMessage[], shown: readonly StoredMessage[] | null): Tally {
  const sendIndex = new Map(acked.map((m, i) => [m.id, i]));
  const storedIds = new Set(stored.map((m) => m.id));
  const shownIds = new Set((shown ?? []).map((m) => m.id));

  // the store: the acknowledged messages by seq must be in send order
  const bySeq = stored.filter((m) => sendIndex.has(m.id)).sort((a, b) => (a.seq ?? 0) - (b.seq ?? 0));
  let order = descents(bySeq.map((m) => sendIndex.get(m.id)!));
  let duplicates = 0;
  if (shown) {
    const first: number[] = [];
    const seenOnce = new Set<string>();
    for (const m of shown) {
      if (seenOnce.has(m.id)) {
        duplicates++;
        continue;
      }
      seenOnce.add(m.id);
      if (sendIndex.has(m.id)) first.push(sendIndex.get(m.id)!);
    }
    // the receiver: what it was shown first must be in send order too
    order += descents(first);
  }
  return {
    acked: acked.length,
    stored: acked.filter((m) => storedIds.has(m.id)).length,
    seen: shown ? acked.filter((m) => shownIds.has(m.id)).length : 0,
    lost: acked.filter((m) => !storedIds.has(m.id) || (shown !== null && !shownIds.has(m.id))).length,
    duplicates,
    order,
  };
}

/** How many entries are lower than the one before them. */
function descents(xs: readonly number[]): number {
  let n = 0;
  for (let i = 1; i < xs.length; i++) if (xs[i] < xs[i - 1]) n++;
  return n;
}

/** Sums tallies, for the whole run's line. */
export function sumTallies(ts: readonly Tally[]): Tally {
  const z: Tally = { acked: 0, stored: 0, seen: 0, lost: 0, duplicates: 0, order: 0 };
  for (const t of ts) for (const k of Object.keys(z) as Array<keyof Tally>) z[k] += t[k];
  return z;
}

/**
 * The webhook count of a run: stored messages with no message.created event at the receiver (lost), and
 * messages told under more than one event id (a repeat a receiver could not drop). Repeats under the same
 * id are allowed: receivers drop them.
 */
export function webhookTally(
  storedIds: Iterable<string>,
  events: ReadonlyArray<{ id: string; type: string; data: any }>,
): { stored: number; told: number; lost: number; idConflicts: number } {
  const ids = new Map<string, Set<string>>();
  for (const e of events) {
    if (e.type !== 'message.created') continue;
    const messageId = String(e.data?.message?.id);
    ids.set(messageId, (ids.get(messageId) ?? new Set()).add(e.id));
  }
  let stored = 0;
  let lost = 0;
  for (const id of storedIds) {
    stored++;
    if (!ids.has(id)) lost++;
  }
  return { stored, told: ids.size, lost, idConflicts: [...ids.values()].filter((s) => s.size > 1).length };
}
