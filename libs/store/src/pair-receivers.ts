import { lookupEach } from './lookup-each';

/** The fields of a stored message this reads and sets. */
interface StoredMessage {
  roomId?: string;
  senderId?: string;
  receiverId?: string;
  groupId?: string | null;
}

/** A room as this needs it: a pair ('direct') or not, and its participants. */
export type RoomLookup = (roomId: string) => Promise<{ kind: 'direct' | 'group'; participants: string[] } | null>;

/**
 * One-to-one messages are stored without `receiverId`: it is the room's other participant. On the stand-in
 * store every field costs about 50 bytes of type map besides its value, and without this one a heap page
 * holds 9 messages instead of 8 (docs/ferretdb.md). Reads put it back: a pair's participants never change,
 * so each process looks a room up once and keeps it (least recently used dropped past `max`).
 */
export class PairReceivers {
  /** Participants of a pair room; null for a group (its messages keep their receiverId). */
  private readonly rooms = new Map<string, readonly string[] | null>();

  constructor(
    private readonly lookup: RoomLookup,
    private readonly max = 100_000,
  ) {}

  /** Sets `receiverId` on the pair messages that lack it, from their rooms (one lookup per room not yet known). */
  async fill(docs: StoredMessage[]): Promise<void> {
    const missing = docs.filter((d) => d && d.receiverId === undefined && !d.groupId && typeof d.roomId === 'string');
    if (missing.length === 0) return;
    const unknown = [...new Set(missing.map((d) => d.roomId!))].filter((r) => !this.rooms.has(r));
    await lookupEach(unknown, async (id) => {
      const room = await this.lookup(id);
      if (room) this.remember(id, room.kind === 'direct' ? room.participants : null);
      return room;
    });
    for (const d of missing) {
      const participants = this.rooms.get(d.roomId!);
      if (!participants) continue;
      // re-insert keeps the map in least-recently-used order
      this.rooms.delete(d.roomId!);
      this.rooms.set(d.roomId!, participants);
      d.receiverId = otherThan(participants, d.senderId);
    }
  }

  private remember(roomId: string, participants: readonly string[] | null): void {
    this.rooms.set(roomId, participants);
    if (this.rooms.size > this.max) this.rooms.delete(this.rooms.keys().next().value as string);
  }
}

/** The participant who is not the sender (the sender itself in a room with oneself). */
export function otherThan(participants: readonly string[], senderId: string | undefined): string {
  return participants.find((p) => p !== senderId) ?? senderId ?? '';
}

/** What is stored of a new message: a pair message without its receiver (read back by PairReceivers). */
export function withoutPairReceiver<T extends { receiverId?: string; groupId?: string | null }>(doc: T): T {
  if (doc.groupId) return doc;
  const { receiverId: _receiver, ...rest } = doc;
  return rest as T;
}
