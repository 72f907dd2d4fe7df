import type { MessagePersistedEvent, SendMessageCommand } from '@chat/contracts';
import { RoutingKeys } from '@chat/contracts';
import { toMessageView, type LastMessage, type MessageDoc, type NewMessage } from '@chat/store';

/** What the use case needs from the store: two small ports, so the rule is testable without a database. */
export interface MessageWriter {
  findByIds(ids: string[]): Promise<MessageDoc[]>;
  insertIdempotent(messages: NewMessage[]): Promise<Set<string>>;
}
export interface SeqAllocator {
  /**
   * Reserves `count` consecutive seqs in the room; returns the first, or null if the room does not exist.
   * `senders` (one-to-one rooms) names the sender of each reserved seq, in order, for the room's record of
   * each sender's last seq (see ConversationDoc.lastSeqBy).
   */
  reserveSeqs(roomId: string, count: number, last: LastMessage, knownLastSeq?: number, senders?: readonly string[]): Promise<number | null>;
  /** Takes the room's next seq for an edit or delete (no message gets it); null if the room does not exist. */
  reserveChangeSeq(roomId: string, knownLastSeq?: number): Promise<number | null>;
}

export interface StoreResult {
  /** One entry per input command, in input order: the persisted event to publish, or null to dead-letter. */
  events: Array<MessagePersistedEvent | null>;
}

/**
 * Stores a batch of send commands idempotently. A command whose id is already stored (a broker redelivery
 * or a client resend) is answered with the stored message, which keeps its seq. New messages of one room
 * get consecutive seqs in the batch's order, which is the room's send order (one ordered queue per partition).
 */
export class StoreMessagesUseCase {
  /** Each room's last seq as this worker last wrote it: it is the room's only writer (one consumer per partition). */
  private readonly lastSeqs = new Map<string, number>();

  constructor(
    private readonly messages: MessageWriter,
    private readonly seqs: SeqAllocator,
  ) {}

  async execute(commands: SendMessageCommand[]): Promise<StoreResult> {
    // no lookup first: repeats are rare, so every command is inserted and the store's unique id
    // turns a repeat into a collision, answered with the stored message (its reserved seq is left unused)
    const fresh = new Map<string, SendMessageCommand>();
    for (const c of commands) if (!fresh.has(c.message.id)) fresh.set(c.message.id, c);

    const byRoom = new Map<string, SendMessageCommand[]>();
    for (const c of fresh.values()) byRoom.set(c.message.roomId, [...(byRoom.get(c.message.roomId) ?? []), c]);

    const docs: NewMessage[] = [];
    await Promise.all(
      [...byRoom].map(async ([roomId, list]) => {
        const last = list[list.length - 1].message;
        const summary = { id: last.id, senderId: last.senderId, seq: 0, content: last.content, deleted: false, createdAt: new Date(last.createdAt) };
        const senders = last.groupId ? undefined : list.map((c) => c.message.senderId);
        const first = await this.seqs.reserveSeqs(roomId, list.length, summary, this.lastSeqs.get(roomId), senders);
        if (first === null) return;
        this.remember(roomId, first + list.length - 1);
        list.forEach((c, i) => docs.push(toDoc(c, first + i)));
      }),
    );

    const collided = await this.messages.insertIdempotent(docs);
    const stored = new Map<string, MessageDoc>();
    const storedNow = new Set<string>();
    for (const { id, ...rest } of docs) {
      if (collided.has(id)) continue;
      stored.set(id, { _id: id as unknown as MessageDoc['_id'], ...rest });
      storedNow.add(id);
    }
    if (collided.size > 0) {
      const found = await this.messages.findByIds([...collided]);
      for (const d of found) stored.set(String(d._id), d);
      // a duplicate that is not an id we know collided on (room, seq): the room had two writers
      if (found.length < collided.size) throw new Error('seq collision: a room was written by two workers at once');
    }

    const emitted = new Set<string>();
    const events = commands.map((c): MessagePersistedEvent | null => {
      const doc = stored.get(c.message.id);
      if (!doc) return null; // its room does not exist: nothing to store, dead-letter it
      const replay = !storedNow.has(c.message.id) || emitted.has(c.message.id);
      emitted.add(c.message.id);
      return { type: RoutingKeys.messagePersisted, correlationId: c.correlationId, message: toMessageView(doc), replay };
    });
    return { events };
  }

  /**
   * The room seq an edit or delete takes, from the same counter as the messages (this worker is the room's
   * writer, so the change is ordered among the sends before and after it).
   */
  async stampChange(roomId: string): Promise<number | null> {
    const seq = await this.seqs.reserveChangeSeq(roomId, this.lastSeqs.get(roomId));
    if (seq !== null) this.remember(roomId, seq);
    return seq;
  }

  private remember(roomId: string, lastSeq: number): void {
    this.lastSeqs.delete(roomId); // re-insert keeps the map in least-recently-used order
    this.lastSeqs.set(roomId, lastSeq);
    if (this.lastSeqs.size > 100_000) this.lastSeqs.delete(this.lastSeqs.keys().next().value as string);
  }
}

function toDoc(c: SendMessageCommand, seq: number): NewMessage {
  const m = c.message;
  return {
    id: m.id,
    roomId: m.roomId,
    seq,
    senderId: m.senderId,
    receiverId: m.receiverId,
    content: m.content,
    clientMsgId: m.clientMsgId ?? null,
    createdAt: new Date(m.createdAt),
    editedAt: null,
    deletedAt: null,
    ...(m.groupId ? { groupId: m.groupId, mentions: m.mentions ?? [] } : {}),
  };
}
