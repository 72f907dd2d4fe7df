import type { ConversationDoc, CursorDoc, HistoryPage, MemberRoom, MessageDoc, RoomScope } from '@chat/store';
import type { DeliveryEnvelope, MessageView } from '@chat/contracts';

/** The edge's view of its stores and queues; main.ts wires the real ones, specs use fakes. */
export interface Conversations {
  findOrCreatePair(a: string, b: string): Promise<ConversationDoc>;
  /** `withTail`: the summary (last message, lastSeq) as of now, open tail applied (ConversationStore.get). */
  get(roomId: string, opts?: { withTail?: boolean }): Promise<ConversationDoc | null>;
  scopeFor(roomId: string, userId: string): Promise<RoomScope | null>;
  listForUser(userId: string, page: { limit: number; offset: number }): Promise<MemberRoom[]>;
  /**
   * lastIncomingSeq: the room's last message from anyone but the user; lastChangeSeq: the seq its last edit
   * or delete took, 0 if none (ConversationStore.roomsWithMessages).
   */
  roomsWithMessages(userId: string): Promise<Array<{ scope: RoomScope; lastIncomingSeq: number; lastChangeSeq?: number }>>;
}

export interface Messages {
  history(scope: RoomScope, q: { before?: number; after?: number; limit: number }): Promise<HistoryPage>;
  /**
   * The newest `limit` messages from others after `afterSeq`, oldest first (MessageStore.latestIncoming);
   * `upto`: where the room ends as the caller read it.
   */
  latestIncoming(scope: RoomScope, afterSeq: number, limit: number, upto?: number): Promise<MessageDoc[]>;
  /** Messages to the user up to `afterSeq` edited or deleted after it (MessageStore.changedSince). */
  changedSince(scope: RoomScope, afterSeq: number, limit: number): Promise<MessageDoc[]>;
  /** Messages of the room whose reactions changed after `afterSeq` (MessageStore.reactedSince). */
  reactedSince(scope: RoomScope, afterSeq: number, limit: number): Promise<MessageDoc[]>;
  /** What a reply shows of the messages these replies answer (MessageStore.replyTargets). */
  replyTargets(ids: string[]): Promise<Array<Pick<MessageDoc, '_id' | 'roomId' | 'senderId' | 'seq' | 'deletedAt'>>>;
  countIncomingSince(scope: RoomScope, afterSeq: number, upto?: number): Promise<number>;
  findForParticipant(messageId: string, userId: string): Promise<MessageDoc | null>;
  findByIds(ids: string[]): Promise<MessageDoc[]>;
}

export interface Cursors {
  forRoom(roomId: string): Promise<Map<string, CursorDoc>>;
  forUser(userId: string): Promise<Map<string, CursorDoc>>;
}

export interface CommandBus {
  publishConfirmed(routingKey: string, payload: object, headers?: Record<string, string>): Promise<void>;
  /** The routing key of a command of the room (or group) `id`. */
  route(base: string, id: string): string;
}

export interface AcceptedLog {
  /** The first accepted version of this message id, if any. */
  get(id: string): Promise<MessageView | null>;
  /** Records the accepted message unless one is recorded; returns the one that is recorded. */
  remember(m: MessageView): Promise<MessageView>;
}

export interface Inbox {
  list(userId: string, limit?: number): Promise<MessageView[]>;
  page(userId: string, limit: number, offset?: number): Promise<{ messages: MessageView[]; hasMore: boolean }>;
  /** The parked message ids and parked notices, oldest first (message copies are not read). */
  peek(userId: string, limit?: number): Promise<{ messageIds: string[]; events: Array<{ key: string; envelope: DeliveryEnvelope }> }>;
  remove(userId: string, ids: string[]): Promise<void>;
}

/** Whether one user blocks another, as this edge knows it (CachedBlocks: up to BLOCK_CACHE_MS old). */
export interface BlockCheck {
  blocks(blockerId: string, blockedId: string): Promise<boolean>;
}

/** Everyone a user blocks, read now (history and sync flag what the reader blocks). */
export interface ReaderBlocks {
  blockedBy(userId: string): Promise<ReadonlySet<string>>;
}

export const NO_BLOCKS: BlockCheck & ReaderBlocks = Object.freeze({
  blocks: async () => false,
  blockedBy: async () => new Set<string>(),
});
