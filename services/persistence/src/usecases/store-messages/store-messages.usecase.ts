import type { MessagePersistedEvent, MessageRefusedEvent, SendMessageCommand } from '@chat/contracts';
import { RoutingKeys } from '@chat/contracts';
import type { Refusal } from '@chat/domain';
import { toMessageView, type MessageDoc, type NewMessage } from '@chat/store';
import type { Head, Stored } from '../../room-heads';

/** What the use case needs from the store: two small ports, so the rule is testable without a database. */
export interface MessageWriter {
  findByIds(ids: string[]): Promise<MessageDoc[]>;
  insertIdempotent(messages: NewMessage[]): Promise<Set<string>>;
}
/** Where rooms' seqs come from: the worker's in-memory heads (RoomHeads). */
export interface SeqSource {
  acquire(roomIds: string[]): Promise<Map<string, Head | null>>;
  release(heads: Map<string, Head | null>): void;
  commit(h: Head, stored: Stored): void;
  forget(roomIds: Iterable<string>): void;
  /** A batch that may have stored up to `upToSeq` in the room failed before it committed. */
  unsure(h: Head, upToSeq: number): void;
  reserveChange(roomId: string): Promise<number | null>;
}

/** Which sends of a batch are refused where they are stored (PairBlocks: the receiver blocks the sender). */
export interface SendGate {
  refusals(commands: readonly SendMessageCommand[]): Promise<Map<string, Refusal>>;
}

export interface StoreResult {
  /** One entry per input command, in input order: the event to publish (stored, or refused), or null to dead-letter. */
  events: Array<MessagePersistedEvent | MessageRefusedEvent | null>;
}

/**
 * Stores a batch of send commands idempotently. A command whose id is already stored (a broker redelivery
 * or a client resend) is answered with the stored message, which keeps its seq. New messages of one room
 * get consecutive seqs in the batch's order, which is the room's send order (one ordered queue per partition).
 */
export class StoreMessagesUseCase {
  constructor(
    private readonly messages: MessageWriter,
    private readonly seqs: SeqSource,
    private readonly gate: SendGate = { refusals: async () => new Map() },
    private readonly now: () => Date = () => new Date(),
  ) {}

  async execute(commands: SendMessageCommand[]): Promise<StoreResult> {
    // judged again here, in the room's order, whatever the edge saw: a block applied after the edge
    // accepted a send refuses it (nothing is stored, the sender is told)
    const refused = await this.gate.refusals(commands);
    // no lookup first: repeats are rare, so every command is inserted and the store's unique id
    // turns a repeat into a collision, answered with the stored message (the seq it was given is left unused)
    const fresh = new Map<string, SendMessageCommand>();
    for (const c of commands) if (!fresh.has(c.message.id) && !refused.has(c.message.id)) fresh.set(c.message.id, c);

    const byRoom = new Map<string, SendMessageCommand[]>();
    for (const c of fresh.values()) byRoom.set(c.message.roomId, [...(byRoom.get(c.message.roomId) ?? []), c]);

    const heads = await this.seqs.acquire([...byRoom.keys()]);
    try {
      // seqs from the room's head in memory; taken for good only once the insert succeeded (commit, below),
      // so a retried batch is given the same seqs again
      const docs: NewMessage[] = [];
      // when the batch is handed to the store; it travels with the persisted event to the trace record
      // rather than in the document (docs/ferretdb.md, disk)
      const storedAt = this.now();
      for (const [roomId, list] of byRoom) {
        const h = heads.get(roomId);
        if (!h) continue; // no such room: dead-lettered below
        list.forEach((c, i) => docs.push(toDoc(c, h.lastSeq + 1 + i)));
      }

      // until this batch commits, what the insert stored is unknown (it may have landed in part, or land
      // after a deadline): the rooms' tails must stay open for readers. A retry gives the same seqs.
      const unsure = () => {
        for (const [roomId, list] of byRoom) {
          const h = heads.get(roomId);
          if (h) this.seqs.unsure(h, h.lastSeq + list.length);
        }
      };
      let collided: Set<string>;
      try {
        collided = await this.messages.insertIdempotent(docs);
      } catch (err) {
        unsure();
        throw err;
      }
      const stored = new Map<string, MessageDoc>();
      const storedNow = new Set<string>();
      for (const { id, ...rest } of docs) {
        if (collided.has(id)) continue;
        stored.set(id, { _id: id as unknown as MessageDoc['_id'], ...rest });
        storedNow.add(id);
      }
      if (collided.size > 0) {
        const found = await this.messages.findByIds([...collided]).catch((err: unknown) => {
          unsure();
          throw err;
        });
        for (const d of found) stored.set(String(d._id), d);
        if (found.length < collided.size) {
          // a duplicate that is not an id we know collided on (room, seq): another writer took the seq
          const rooms = new Set(docs.filter((d) => collided.has(d.id) && !stored.has(d.id)).map((d) => d.roomId));
          // every room of the batch: the others' messages were stored but are not committed
          this.seqs.forget(byRoom.keys());
          throw new Error(`seq collision in ${[...rooms].join(', ')}: another worker wrote the room; reading it again`);
        }
      }
      for (const [roomId, list] of byRoom) {
        const h = heads.get(roomId);
        if (!h) continue;
        const mine = docs.filter((d) => d.roomId === roomId && storedNow.has(d.id));
        this.seqs.commit(h, {
          lastSeq: h.lastSeq + list.length,
          messages: mine.map((d) => ({ id: d.id, senderId: d.senderId, seq: d.seq, content: d.content, createdAt: d.createdAt })),
        });
      }

      const emitted = new Set<string>();
      const events = commands.map((c): MessagePersistedEvent | MessageRefusedEvent | null => {
        const refusal = refused.get(c.message.id);
        if (refusal) return refusedEvent(c, refusal);
        const doc = stored.get(c.message.id);
        if (!doc) return null; // its room does not exist: nothing to store, dead-letter it
        const replay = !storedNow.has(c.message.id) || emitted.has(c.message.id);
        emitted.add(c.message.id);
        const trace = {
          ...(replay ? {} : { storedAt: storedAt.toISOString() }),
          ...(c.acceptedBy ? { acceptedBy: c.acceptedBy } : {}),
        };
        return { type: RoutingKeys.messagePersisted, correlationId: c.correlationId, message: toMessageView(doc), replay, ...trace };
      });
      return { events };
    } finally {
      this.seqs.release(heads);
    }
  }

  /**
   * The room seq an edit or delete takes, from the same counter as the messages (this worker is the room's
   * writer, so the change is ordered among the sends before and after it).
   */
  stampChange(roomId: string): Promise<number | null> {
    return this.seqs.reserveChange(roomId);
  }
}

function refusedEvent(c: SendMessageCommand, error: Refusal): MessageRefusedEvent {
  const m = c.message;
  return {
    type: RoutingKeys.messageRefused,
    correlationId: c.correlationId,
    messageId: m.id,
    roomId: m.roomId,
    senderId: m.senderId,
    clientMsgId: m.clientMsgId ?? null,
    error: { code: error.code, message: error.message },
  };
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
    ...(m.clientMsgId ? { clientMsgId: m.clientMsgId } : {}),
    createdAt: new Date(m.createdAt),
    ...(m.groupId ? { groupId: m.groupId, mentions: m.mentions ?? [] } : {}),
    ...(m.replyTo ? { replyTo: { id: m.replyTo.id, senderId: m.replyTo.senderId, excerpt: m.replyTo.excerpt } } : {}),
  };
}
