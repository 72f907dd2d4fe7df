import { headState, type LastMessage, type MessageDoc, type NewMessage, type RoomHeadState, type SummaryWrite } from '@chat/store';
import type { HeadStore } from '../room-heads';
import type { MessageWriter } from '../usecases/store-messages/store-messages.usecase';

interface Room {
  kind: 'direct' | 'group';
  lastSeq: number;
  lastMessage: LastMessage | null;
  lastChangeSeq: number;
  lastSeqBy: Record<string, number>;
  tailOpen: string | null;
}

/**
 * The store as the persistence worker's specs need it, in memory: messages with the unique id and the
 * unique (roomId, seq), and rooms with their summaries and open tails, answering like ConversationStore.
 */
export class MemoryRooms implements MessageWriter, HeadStore {
  readonly docs = new Map<string, MessageDoc>();
  readonly rooms = new Map<string, Room>();
  readonly calls = { loadHead: 0, openTail: 0, writeSummary: 0, insert: 0 };
  /** Makes the next insert fail as an unreachable store would, after storing the first `stored` documents. */
  failNextInsert: { stored: number } | null = null;

  addRoom(roomId: string, kind: 'direct' | 'group' = 'direct'): void {
    this.rooms.set(roomId, { kind, lastSeq: 0, lastMessage: null, lastChangeSeq: 0, lastSeqBy: {}, tailOpen: null });
  }

  async findByIds(ids: string[]): Promise<MessageDoc[]> {
    return ids.flatMap((id) => (this.docs.has(id) ? [this.docs.get(id)!] : []));
  }

  async insertIdempotent(docs: NewMessage[]): Promise<Set<string>> {
    this.calls.insert++;
    const fail = this.failNextInsert;
    this.failNextInsert = null;
    const collided = new Set<string>();
    for (const [i, { id, ...rest }] of docs.entries()) {
      if (fail && i >= fail.stored) throw Object.assign(new Error('connection closed'), { name: 'MongoNetworkError' });
      const taken = [...this.docs.values()].some((d) => d.roomId === rest.roomId && d.seq === rest.seq);
      if (this.docs.has(id) || taken) collided.add(id);
      else this.docs.set(id, { _id: id as unknown as MessageDoc['_id'], ...rest });
    }
    return collided;
  }

  tail(roomId: string, afterSeq: number): MessageDoc[] {
    return [...this.docs.values()].filter((d) => d.roomId === roomId && d.seq > afterSeq).sort((a, b) => a.seq - b.seq);
  }

  async loadHead(roomId: string): Promise<RoomHeadState | null> {
    this.calls.loadHead++;
    const r = this.rooms.get(roomId);
    if (!r) return null;
    return headState(r, r.tailOpen ? this.tail(roomId, r.lastSeq) : []);
  }

  async openTail(roomId: string, owner: string): Promise<boolean> {
    this.calls.openTail++;
    const r = this.rooms.get(roomId);
    if (!r) return false;
    r.tailOpen = owner;
    return true;
  }

  async writeSummary(roomId: string, s: SummaryWrite, closeAs?: string): Promise<boolean> {
    this.calls.writeSummary++;
    const r = this.rooms.get(roomId);
    if (!r || r.lastSeq > s.lastSeq || (closeAs && r.tailOpen !== closeAs)) return false;
    r.lastSeq = s.lastSeq;
    if (s.lastMessage) r.lastMessage = s.lastMessage;
    if (s.lastChangeSeq !== undefined) r.lastChangeSeq = s.lastChangeSeq;
    for (const [sender, seq] of s.senders ?? []) r.lastSeqBy[sender] = seq;
    if (closeAs) r.tailOpen = null;
    return true;
  }
}
