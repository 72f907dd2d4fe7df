import {
  changeNotice,
  reactionNotice,
  ServerEvents,
  type ChangeNotice,
  type DeliveryEnvelope,
  type MessageView,
  type ReactionNotice,
  type SyncGap,
} from '@chat/contracts';
import { flagBlockedSender } from '@chat/domain';
import { reactionView, toMessageView, type MessageDoc } from '@chat/store';
import { mapBounded } from '../bounded';
import { NO_BLOCKS, type Conversations, type Cursors, type Inbox, type Messages, type ReaderBlocks } from '../ports';

export interface MissedDeliveries {
  /** Everything the user's devices have not acknowledged, per room in seq order. */
  messages: MessageView[];
  /** Edits and deletes parked while the user was away, in order; emitted after the messages. */
  events: DeliveryEnvelope[];
  /**
   * Edits and deletes, read from the store, of messages the user's sockets already had (at or below the
   * seq the read started from) made after it, and reactions changed after it, oldest first, as the events
   * the sockets would have got live; emitted last (they give each message's current state).
   */
  changes: Array<ChangeNotice | ReactionNotice>;
  /** Parked jobs to remove once everything was handed to the socket. */
  parkedIds: string[];
  /** Per room, the seq the user's devices already acknowledged (lets each socket's ordered delivery drop replays). */
  cursors: Record<string, number>;
  /**
   * Seqs the device may lack that this sync does not hand over, per room: a room with more missed
   * messages than the per-room limit gets its newest ones and a gap before them (the device backfills it
   * through the history API with `after`); a room with more changes than the limit gets a gap over what
   * the device had, whose current state the history API gives.
   */
  gaps: SyncGap[];
  source: 'store' | 'inbox';
}

/** The seq the user's devices acknowledged in the room (0: nothing yet). */
const ackedIn = (mine: Map<string, { deliveredSeq: number }>, roomId: string) => mine.get(roomId)?.deliveredSeq ?? 0;

const bySeq = (a: MessageView, b: MessageView) => (a.roomId === b.roomId ? a.seq! - b.seq! : a.roomId < b.roomId ? -1 : 1);

/**
 * What a connecting user must receive. MongoDB is the source of truth: every message to the user after
 * the seq the user's devices acknowledged in each room (current content, deleted ones left out), the newest
 * `limitPerRoom` of a room and a gap before them when there are more, so a Redis that lost the offline inbox
 * loses nothing. The parked copies in the inbox are removed after the
 * hand-over. When the store cannot answer, the result says so (`source: 'inbox'`, with the parked copies
 * only): the caller (StoreCatchUps) does not hand that over, as the inbox may have gaps, but holds the socket and retries.
 * Must run after the user is marked online: fanout then delivers live, and whatever it parked before
 * was already stored, so this read sees it.
 */
export class ReadMissedUseCase {
  constructor(
    private readonly conversations: Conversations,
    private readonly messages: Messages,
    private readonly cursors: Cursors,
    private readonly inbox: Inbox,
    private readonly limitPerRoom: number,
    private readonly onStoreError: (err: Error) => void = () => undefined,
    /**
     * Bounds how many syncs read the store at once (p-limit): after an outage or an edge's death every
     * socket syncs together, and unbounded they crowd out the workers' writes in the store.
     */
    private readonly limit: <T>(read: () => Promise<T>) => Promise<T> = (read) => read(),
    /** Everyone the user blocks, read now: their messages (group messages still flow) are flagged `blockedSender`. */
    private readonly blocks: ReaderBlocks = NO_BLOCKS,
  ) {}

  /**
   * `handed`: per room, a seq every socket of the user on this edge was already given (a catch-up of
   * connected sockets). The read starts after it rather than after the stored
   * cursor, which is the user's and not the device's: another device that acknowledged newer messages
   * moves it past what these sockets missed (a fresh socket was handed nothing, and starts from the cursor).
   */
  async execute(userId: string, handed: Record<string, number> = {}): Promise<MissedDeliveries> {
    // what is parked is listed before anything is read from the store (not alongside: a message stored and
    // parked after the rooms were read would have its parked copy removed without being in this read)
    const peeked = await this.inbox
      .peek(userId)
      .catch(() => ({ messageIds: [] as string[], events: [] as Array<{ key: string; envelope: DeliveryEnvelope }> }));
    const events = peeked.events.map((e) => e.envelope);
    const parkedIds = [...peeked.messageIds, ...peeked.events.map((e) => e.key)];
    try {
      const { rooms, mine, stored, changed, reacted, from, gaps, blocked } = await this.limit(async () => {
        const [rooms, mine, blocked] = await Promise.all([
          this.conversations.roomsWithMessages(userId),
          this.cursors.forUser(userId),
          this.blocks.blockedBy(userId),
        ]);
        const from = (roomId: string) => handed[roomId] ?? ackedIn(mine, roomId);
        // a room whose newer messages are all the user's own has nothing to hand over: not read
        const behind = rooms.filter((r) => r.lastIncomingSeq > from(r.scope.roomId));
        // a room edited or deleted in past where the read starts: what the sockets have may be out of date
        const changedRooms = rooms.filter((r) => (r.lastChangeSeq ?? 0) > from(r.scope.roomId));
        // one more than the limit: whether there is a gap before what is handed over; reactions take seqs
        // from the same counter (lastChangeSeq), to anyone's messages, the user's own included
        const [latest, changedRead, reactedRead] = await Promise.all([
          mapBounded(behind, (r) => this.messages.latestIncoming(r.scope, from(r.scope.roomId), this.limitPerRoom + 1, r.lastIncomingSeq)),
          mapBounded(changedRooms, (r) => this.messages.changedSince(r.scope, from(r.scope.roomId), this.limitPerRoom + 1)),
          mapBounded(changedRooms, (r) => this.messages.reactedSince(r.scope, from(r.scope.roomId), this.limitPerRoom + 1)),
        ]);
        const gaps: SyncGap[] = [];
        const stored = latest.map((docs, i) => {
          if (docs.length <= this.limitPerRoom) return docs;
          const kept = docs.slice(docs.length - this.limitPerRoom);
          const { scope } = behind[i];
          gaps.push({ roomId: scope.roomId, fromSeq: Math.max(from(scope.roomId), scope.fromSeq) + 1, toSeq: kept[0].seq - 1 });
          return kept;
        });
        changedRooms.forEach(({ scope }, i) => {
          if (changedRead[i].length <= this.limitPerRoom && reactedRead[i].length <= this.limitPerRoom) return;
          // the changes left out may be of any message the device had: all of that is the gap
          if (from(scope.roomId) > scope.fromSeq)
            gaps.push({ roomId: scope.roomId, fromSeq: scope.fromSeq + 1, toSeq: from(scope.roomId) });
        });
        const cut = (docs: MessageDoc[]) => docs.slice(0, this.limitPerRoom);
        return { rooms, mine, stored, changed: changedRead.map(cut), reacted: reactedRead.map(cut), from, gaps, blocked };
      });
      const changedDocs = changed.flat();
      const read: Array<{ seq: number; notice: ChangeNotice | ReactionNotice }> = [
        ...changedDocs.map((d) => ({ seq: d.changedSeq ?? 0, notice: changeEvent(d) })),
        ...reacted.flat().map((d) => ({ seq: d.reactedSeq ?? 0, notice: reactionEvent(d, userId) })),
      ];
      const changes = read.sort((a, b) => a.seq - b.seq).map((c) => c.notice);
      // a parked copy of a change the store read gives as well is left out: the read is as new or newer
      const fresh = new Set(changedDocs.map((d) => String(d._id)));
      const parkedEvents = events.filter(
        (e) => !(CHANGE_EVENTS.has(e.event) && fresh.has(String((e.payload as { messageId?: unknown } | null)?.messageId))),
      );
      const cursors = Object.fromEntries(rooms.map((r) => [r.scope.roomId, from(r.scope.roomId)]));
      const messages = stored.flat().map((d) => flagBlockedSender(toMessageView(d, mine.get(d.roomId)), blocked));
      return { messages: messages.sort(bySeq), events: parkedEvents, changes, parkedIds, cursors, gaps, source: 'store' };
    } catch (err) {
      this.onStoreError(err as Error);
      const parked = await this.inbox.list(userId).catch(() => [] as MessageView[]);
      const own = parked.filter((m) => m.receiverId === userId && m.seq !== null);
      return { messages: own.sort(bySeq), events, changes: [], parkedIds: [], cursors: {}, gaps: [], source: 'inbox' };
    }
  }
}

/** A message's reactions now, as the sync tells them (no single change: the counts and the reader's own). */
function reactionEvent(d: MessageDoc, userId: string): ReactionNotice {
  const { reactions, myReactions } = reactionView(d, userId);
  return reactionNotice(
    { messageId: String(d._id), roomId: d.roomId, groupId: d.groupId },
    { counts: reactions ?? {}, myReactions: myReactions ?? [] },
  );
}

const CHANGE_EVENTS = new Set<string>([ServerEvents.messageEdited, ServerEvents.messageDeleted]);

/** A stored change as the event a socket gets live (the same constructor as fanout's): the message's state now. */
function changeEvent(d: MessageDoc): ChangeNotice {
  const m = { messageId: String(d._id), roomId: d.roomId, groupId: d.groupId };
  if (d.deletedAt)
    return changeNotice(m, {
      change: 'deleted',
      deletedAt: new Date(d.deletedAt).toISOString(),
      ...(d.deletedBy ? { deletedBy: d.deletedBy } : {}),
    });
  return changeNotice(m, { change: 'edited', content: d.content, editedAt: d.editedAt ? new Date(d.editedAt).toISOString() : null });
}
