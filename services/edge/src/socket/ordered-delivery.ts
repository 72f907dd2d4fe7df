import type { MessageView, ServerEmit } from '@chat/contracts';

const bySeq = (a: MessageView, b: MessageView) => (a.roomId === b.roomId ? a.seq! - b.seq! : a.roomId < b.roomId ? -1 : 1);

/** Any other event for the socket (an edit, a delete, a receipt): emitted in the order it came. */
export type SocketEvent = ServerEmit;

/**
 * Between the pipeline and one socket: hands each room's messages over in seq order and never
 * twice. While the connect-time sync (or a later catch-up) runs, live deliveries wait in a buffer; the sync
 * result goes first, then the buffer, and anything at or below what was already handed over (or
 * acknowledged on an earlier socket) is dropped. The other events wait too, and follow every message: an
 * edit or delete that overtook its message would reach a device that does not have it yet, which would then
 * show the message as it was (a deleted message with its content).
 */
export class OrderedDelivery {
  private readonly handed = new Map<string, number>();
  private buffer: MessageView[] | null = [];
  /** Events parked while the user was away (and the sync's gaps), the live ones held meanwhile, and the changes the sync read. */
  private parked: SocketEvent[] = [];
  private events: SocketEvent[] = [];
  private changes: SocketEvent[] = [];

  constructor(
    private readonly send: (m: MessageView) => void,
    private readonly emit: (e: SocketEvent) => void = () => undefined,
    /** UNSAFE, test-only (UNSAFE_GATE_REPEATS): hand a message again that this socket already has. */
    private readonly letRepeatsThrough = false,
  ) {}

  offer(m: MessageView): void {
    if (this.buffer) this.buffer.push(m);
    else this.hand(m);
  }

  /** Any other event: emitted now, or after the messages once the sync is released. */
  offerEvent(e: SocketEvent): void {
    if (this.buffer) this.events.push(e);
    else this.emit(e);
  }

  /**
   * Ends the sync: `cursors` are the seqs the user already acknowledged per room; `parked` the events
   * parked while the user was away; `changes` the edits and deletes the sync read from the store (each
   * message's state at the read). Order: the synced messages, the held live messages, the parked events
   * (oldest), the held live events, the changes read (so each message ends in its state at the read or a
   * later one, whichever live events were lost).
   */
  release(synced: MessageView[], cursors: Record<string, number> = {}, parked: SocketEvent[] = [], changes: SocketEvent[] = []): void {
    this.feed(synced, cursors, parked, changes);
    const waiting = (this.buffer ?? []).sort(bySeq);
    this.buffer = null;
    for (const m of waiting) this.hand(m);
    const events = [...this.parked, ...this.events, ...this.changes];
    this.parked = [];
    this.events = [];
    this.changes = [];
    for (const e of events) this.emit(e);
  }

  /**
   * Hands over a read that cannot release the hold (a newer hold came during it), and keeps holding: live
   * deliveries wait until `release`, so none can overtake what the next read brings (the socket would then
   * drop it for good).
   */
  feed(synced: MessageView[], cursors: Record<string, number> = {}, parked: SocketEvent[] = [], changes: SocketEvent[] = []): void {
    this.parked.push(...parked);
    this.changes.push(...changes);
    for (const [room, seq] of Object.entries(cursors)) this.raise(room, seq);
    for (const m of [...synced].sort(bySeq)) this.hand(m);
  }

  /** Rooms this socket was handed something in, with the last seq of each. */
  handedRooms(): IterableIterator<[string, number]> {
    return this.handed.entries();
  }

  /** Starts another catch-up (Redis lost presence): live deliveries wait again until `release`. */
  hold(): void {
    if (!this.buffer) this.buffer = [];
  }

  get syncing(): boolean {
    return this.buffer !== null;
  }

  private raise(room: string, seq: number): void {
    const had = this.handed.get(room);
    if (had === undefined || seq > had) this.handed.set(room, seq);
  }

  private hand(m: MessageView): void {
    if (m.seq === null) return;
    if (m.seq <= (this.handed.get(m.roomId) ?? 0) && !this.letRepeatsThrough) return;
    this.handed.set(m.roomId, m.seq);
    this.send(m);
  }
}

/**
 * Where a catch-up of one user's sockets starts, per room: the lowest seq any of them was handed there, so
 * the read brings what the furthest-behind socket lacks (the others drop what they have); a socket that said
 * it has nothing in a room (`since` 0) counts there as handed 0. A room none of them was handed anything in
 * is left out: the read starts there from the user's stored cursor. (Leaving a
 * room out because one socket, just connected, lacks it would start it at the cursor, past what a socket
 * behind it still lacks, and that socket's delivery would then skip the difference for good.)
 */
export function handedFloor(deliveries: OrderedDelivery[]): Record<string, number> {
  const floor: Record<string, number> = {};
  for (const delivery of deliveries) {
    for (const [room, seq] of delivery.handedRooms()) if (floor[room] === undefined || seq < floor[room]) floor[room] = seq;
  }
  return floor;
}
