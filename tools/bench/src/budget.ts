import type { PartResult } from './parts';

export interface CpuFloor {
  /** The parts a message cannot do without, each with how many times one message uses it. */
  terms: Array<{ part: string; times: number; cpuUsPerOp: number }>;
  /** Their sum: a lower bound of the machine CPU one message needs end to end, in core-microseconds. */
  usPerMessage: number;
  /** What the box could carry at that floor with every core busy and nothing else to do. */
  ceilingPerSecond: number;
}

/**
 * What one message costs at the least, from the parts measured alone: the sender's request and its
 * acknowledgement over Socket.IO, two RabbitMQ hops (the send command to persistence, the persisted event
 * to fanout), one document in a batched insert, and two socket deliveries through the Redis adapter
 * (receive_message to the receiver, message_sent to the sender). Left out, so the floor is low, not high:
 * auth and validation, the idempotency record, the room's seq and summary, receipts, and the load
 * generator's bookkeeping. Null when a part was not measured.
 */
export function cpuFloor(parts: PartResult[], cores: number): CpuFloor | null {
  const uses: Array<[RegExp, number]> = [
    [/^Socket\.IO request/, 1],
    [/^RabbitMQ/, 2],
    [/^store insert, batches/, 1],
    [/^Redis adapter/, 2],
  ];
  const terms: CpuFloor['terms'] = [];
  for (const [pattern, times] of uses) {
    const p = parts.find((x) => pattern.test(x.name));
    if (!p || p.cpuUsPerOp === undefined || p.cpuUsPerOp <= 0) return null;
    terms.push({ part: p.name, times, cpuUsPerOp: p.cpuUsPerOp });
  }
  const usPerMessage = terms.reduce((n, t) => n + t.times * t.cpuUsPerOp, 0);
  return { terms, usPerMessage, ceilingPerSecond: Math.round((cores * 1e6) / usPerMessage) };
}

/** The machine CPU a step spent per message received, in core-microseconds (machine: % of one core). */
export function usPerMessage(machinePct: number, receivedPerSecond: number): number | null {
  if (!(receivedPerSecond > 0) || !(machinePct > 0)) return null;
  return Math.round(((machinePct / 100) * 1e6) / receivedPerSecond);
}
