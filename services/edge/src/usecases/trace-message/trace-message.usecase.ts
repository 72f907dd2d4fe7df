import {
  NotFound,
  Unavailable,
  type DirectFanout,
  type GroupFanout,
  type MessageTrace,
  type MessageView,
  type ReceiptStage,
} from '@chat/contracts';
import type { FanoutTrace } from '@chat/delivery';
import { cursorPass, groupCounts, type CursorDoc, type MessageDoc } from '@chat/store';
import type { AcceptedLog, Conversations, Cursors, Messages } from '../ports';

/** A message's fan-out as the fanout worker recorded it (DeliveryTraces); null when none is kept. */
export interface FanoutRecords {
  read(ids: string[]): Promise<Map<string, { fannedOut: FanoutTrace | null }>>;
}

const iso = (d: Date | number | null | undefined) => (d === null || d === undefined ? null : new Date(d).toISOString());

/**
 * A message's path for its sender: accepted (edge, time), stored (seq, time), fanned out (online through
 * which edges, or parked), delivered and read. Everyone else, the receiver included, gets the same 404 as
 * for an id that does not exist. Read from what the pipeline keeps anyway: the message, the room's
 * cursors, and the fan-out record; a message accepted and not yet stored is found in the accepted log.
 */
export class TraceMessageUseCase {
  constructor(
    private readonly messages: Pick<Messages, 'findByIds'>,
    private readonly conversations: Pick<Conversations, 'scopeFor'>,
    private readonly cursors: Pick<Cursors, 'forRoom'>,
    private readonly accepted: Pick<AcceptedLog, 'get'>,
    private readonly records: FanoutRecords,
  ) {}

  async execute(userId: string, messageId: string): Promise<MessageTrace> {
    const [doc] = await this.messages.findByIds([messageId]);
    if (!doc) return this.notStoredYet(userId, messageId);
    if (doc.senderId !== userId) throw new NotFound('message not found');
    // a member removed from a group sees nothing of it any more, its own messages' receipts included
    const scope = await this.conversations.scopeFor(doc.roomId, userId);
    if (!scope) throw new NotFound('message not found');
    const [cursors, records] = await Promise.all([
      this.cursors.forRoom(doc.roomId),
      this.records.read([messageId]).catch(() => {
        throw new Unavailable('delivery records cannot be read now');
      }),
    ]);
    return traceOf(doc, scope.participants, cursors, records.get(messageId)?.fannedOut ?? null);
  }

  /** Accepted by an edge, still on its way to the store: only the first stage has happened. */
  private async notStoredYet(userId: string, messageId: string): Promise<MessageTrace> {
    const m: MessageView | null = await this.accepted.get(messageId);
    if (!m || m.senderId !== userId || !(await this.conversations.scopeFor(m.roomId, userId))) throw new NotFound('message not found');
    return {
      messageId,
      roomId: m.roomId,
      kind: m.groupId ? 'group' : 'direct',
      accepted: { at: m.createdAt, edge: null },
      stored: null,
      fannedOut: null,
      delivered: null,
      read: null,
    };
  }
}

/** The trace of a stored message from its document, its room's cursors and members, and its fan-out record. */
export function traceOf(
  doc: MessageDoc,
  members: readonly string[],
  cursors: Map<string, CursorDoc>,
  fanout: FanoutTrace | null,
): MessageTrace {
  const group = Boolean(doc.groupId);
  const base = {
    messageId: String(doc._id),
    roomId: doc.roomId,
    kind: group ? ('group' as const) : ('direct' as const),
    // messages stored by earlier versions carry both in the document
    accepted: { at: iso(doc.createdAt)!, edge: doc.acceptedBy ?? fanout?.acceptedBy ?? null },
    stored: { at: iso(doc.storedAt ?? fanout?.storedAt), seq: doc.seq },
  };
  if (group) {
    const counts = groupCounts(doc, members, cursors);
    const fannedOut: GroupFanout | null = fanout
      ? { at: iso(fanout.at)!, online: fanout.online, parked: fanout.parked, edges: fanout.edgeCount }
      : null;
    return { ...base, fannedOut, delivered: { count: counts.delivered, of: counts.of }, read: { count: counts.read, of: counts.of } };
  }
  const fannedOut: DirectFanout | null = !fanout
    ? null
    : fanout.online > 0
      ? { at: iso(fanout.at)!, to: 'online', edges: fanout.edges }
      : { at: iso(fanout.at)!, to: 'parked' };
  const cursor = cursors.get(doc.receiverId);
  const read = stage(cursorPass(doc.seq, cursor, 'read'));
  let delivered = stage(cursorPass(doc.seq, cursor, 'delivered'));
  // read implies delivered: a delivered time later than the read (a later move's) is bounded by the read's
  if (delivered && read?.at && (!delivered.at || delivered.at > read.at)) delivered = { at: read.at, exact: false };
  return { ...base, fannedOut, delivered, read };
}

function stage(pass: { at: Date | null; exact: boolean } | null): ReceiptStage | null {
  return pass ? { at: iso(pass.at), exact: pass.exact } : null;
}
