import { GROUP_ADDS, type GroupAdds } from '@chat/contracts';
import { Schema, type Connection, type Model, type Types } from 'mongoose';
import { PairReceivers } from './pair-receivers';

export interface LastMessage {
  id: string;
  senderId: string;
  seq: number;
  content: string | null;
  deleted: boolean;
  createdAt: Date;
}

export interface ConversationDoc {
  _id: Types.ObjectId;
  /** "a:b" for a one-to-one pair (makes create-or-return one guarded insert); "group:<id>" for a group. */
  key: string;
  kind: 'direct' | 'group';
  /** The members; for a group in joining order, oldest first. */
  participants: string[];
  /** Groups only. */
  name: string | null;
  admins: string[];
  createdBy: string | null;
  lastSeq: number;
  /**
   * One-to-one rooms: each sender's last seq in the room, written with `lastSeq` (same update). Trusted
   * only where `sendersTracked` is true: set when the room is created, so the map covers every message it
   * holds (a room from before the map existed, and every group, has it unset: readers use `lastSeq`).
   * Groups keep none: with up to GROUP_MEMBER_LIMIT senders it would grow the document every update rewrites.
   */
  lastSeqBy?: Record<string, number>;
  sendersTracked?: boolean;
  /** The seq of the room's last edit or delete (see MessageDoc.changedSeq); unset while there was none. */
  lastChangeSeq?: number;
  /**
   * Set (to the owner's token) while the room's persistence worker may have stored messages past lastSeq
   * that this summary does not show yet; readers then add the room's tail (see room-tail.ts).
   */
  tailOpen?: string | null;
  lastMessage: LastMessage | null;
  lastActivityAt: Date;
  createdAt: Date;
}

/**
 * How far one participant got in one room: the highest seq their devices acknowledged (delivered) and
 * the highest seq they read. A message's status for its receiver follows from these (seq <= readSeq:
 * read; <= deliveredSeq: delivered; else sent), so a whole backlog changes state with one write.
 * Kept apart from the conversation so the receipts and persistence workers never write the same document.
 */
export interface CursorDoc {
  _id: string;
  roomId: string;
  userId: string;
  deliveredSeq: number;
  deliveredAt: Date | null;
  readSeq: number;
  readAt: Date | null;
  /**
   * The seqs before the last move of each (written with it): a message above them was passed by that last
   * move, so deliveredAt / readAt is exactly when. Unset on cursors last moved before they were kept.
   */
  deliveredFrom?: number;
  readFrom?: number;
}

export interface MessageDoc {
  _id: Types.ObjectId;
  roomId: string;
  seq: number;
  senderId: string;
  /** A pair's message is stored without it (the other participant) and read back with it (PairReceivers). */
  receiverId: string;
  content: string;
  /** Absent rather than null when the client sent none, like editedAt and deletedAt until they happen: on the
   * stand-in every field costs about 50 bytes of type map besides its value (docs/ferretdb.md, disk). */
  clientMsgId?: string | null;
  /** When the edge accepted it (before the broker confirm). */
  createdAt: Date;
  /**
   * When the persistence worker stored it and the edge that accepted it: on messages stored by earlier
   * versions only. They now live in the trace record (DeliveryTraces), two fields fewer per message.
   */
  storedAt?: Date;
  acceptedBy?: string;
  editedAt?: Date | null;
  deletedAt?: Date | null;
  /**
   * The room's seq its last edit or delete took (from the same counter as the messages' seqs, so it orders
   * the change among them): a catch-up finds the changes made after what a device has by it.
   */
  changedSeq?: number;
  /** Group messages: the group (receiverId holds it too) and the members mentioned. */
  groupId?: string | null;
  mentions?: string[];
  /** The message this one answers, as it was when this was sent (history shows a tombstone once it is deleted). */
  replyTo?: { id: string; senderId: string; excerpt: string | null } | null;
  /**
   * Who reacted with what, emoji in the order first used. An array rather than a map keyed by emoji: an
   * emoji is user input, and a field name with '.' or a leading '$' cannot be written with $set.
   */
  reactions?: Array<{ emoji: string; userIds: string[] }>;
  /** The room's seq the last reaction change took (like changedSeq): a catch-up finds missed ones by it. */
  reactedSeq?: number;
  /** The room's bucket of this seq (room-buckets.ts): seq ranges are read by bucket. */
  rb?: string;
  /** Set when an operator deleted the message (after a report); a sender's delete leaves it unset. */
  deletedBy?: 'moderator';
}

/**
 * One row per (room, member), so "my rooms" is an index lookup by user. Kept apart from the room's
 * `participants` array because FerretDB v1 indexes an array as one value (no multikey indexes): an index on
 * a 200-member array exceeds PostgreSQL's btree row limit, and would not serve element lookups well anyway.
 */
export interface MembershipDoc {
  _id: string;
  roomId: string;
  userId: string;
  kind: 'direct' | 'group';
  /** The room's seq when the user joined (RoomScope.fromSeq); unset on rows from before it existed: 0. */
  joinedSeq?: number;
  /**
   * The member muted the room (until `mutedUntil`, or until unmuted when that is null): kept on this row
   * because the room lists read it anyway. Written only at the member's request (by the edge).
   */
  muted?: boolean;
  mutedUntil?: Date | null;
}

/** A pinned message: one per (room, message), written only by the room's persistence worker. */
export interface PinDoc {
  _id: string;
  roomId: string;
  messageId: string;
  pinnedBy: string;
  pinnedAt: Date;
}

/** One user blocking another: `_id` is "blocker:blocked"; written only at the blocker's request (by the edge). */
export interface BlockDoc {
  _id: string;
  blockerId: string;
  blockedId: string;
  createdAt: Date;
}

/** What a report keeps of the message, as it was when the room's worker stored the report. */
export interface ReportSnapshot {
  senderId: string;
  seq: number;
  content: string | null;
  createdAt: Date;
  editedAt: Date | null;
  deleted: boolean;
}

/**
 * A member's report of a message, one per (reporter, message); written only by the room's persistence
 * worker (stored, then resolved by an operator's decision), in the room's order.
 */
export interface ReportDoc {
  _id: string;
  roomId: string;
  messageId: string;
  reporterId: string;
  reason: string;
  snapshot: ReportSnapshot | null;
  status: 'open' | 'resolved';
  createdAt: Date;
  /** Resolved: kept (the operator left the message) or deleted (the operator deleted it). */
  outcome?: 'kept' | 'deleted';
  resolvedBy?: string;
  resolvedAt?: Date;
}

/**
 * What moderation decided for a message it did not let through unchanged, keyed by the message's id, so a
 * redelivered or resent command gets the same answer (docs/design.md#moderation). Rejected content is not kept.
 */
export interface ModerationVerdictDoc {
  _id: string;
  roomId: string;
  senderId: string;
  action: 'reject' | 'redact';
  /** reject: what the sender is told. */
  reason: string | null;
  /** redact: the content stored instead. */
  content: string | null;
  /** hook: the hook's answer; unavailable: MODERATION_FAILURE=closed while the hook did not answer. */
  source: 'hook' | 'unavailable';
  at: Date;
}

/** A user's own settings, keyed by the user's id; written only at that user's request (by the edge). */
export interface UserSettingsDoc {
  _id: string;
  /** False: the user's online state and last seen are shown to nobody, and the user sees nobody's. */
  showPresence: boolean;
  /** Who may put the user in a group without asking (unset: 'contacts'). */
  groupAdds?: GroupAdds;
  /** False: pushes carry no message text (unset: true). */
  pushPreview?: boolean;
  updatedAt: Date;
}

export interface InviteDoc {
  _id: Types.ObjectId;
  groupId: string;
  inviterId: string;
  inviteeId: string;
  status: 'pending' | 'accepted' | 'declined';
  createdAt: Date;
  respondedAt: Date | null;
}

const lastMessage = new Schema<LastMessage>(
  {
    id: String,
    senderId: String,
    seq: Number,
    content: { type: String, default: null },
    deleted: Boolean,
    createdAt: Date,
  },
  { _id: false },
);

const conversationSchema = new Schema<ConversationDoc>(
  {
    key: { type: String, required: true },
    kind: { type: String, enum: ['direct', 'group'], default: 'direct' },
    participants: { type: [String], required: true },
    name: { type: String, default: null },
    admins: { type: [String], default: [] },
    createdBy: { type: String, default: null },
    lastSeq: { type: Number, default: 0 },
    lastSeqBy: { type: Schema.Types.Mixed },
    sendersTracked: { type: Boolean },
    lastChangeSeq: { type: Number },
    tailOpen: { type: String },
    lastMessage: { type: lastMessage, default: null },
    lastActivityAt: { type: Date, required: true },
    createdAt: { type: Date, required: true },
  },
  { collection: 'conversations', versionKey: false, minimize: false },
);
conversationSchema.index({ key: 1 }, { unique: true });
conversationSchema.index({ lastActivityAt: -1 });

const membershipSchema = new Schema<MembershipDoc>(
  {
    _id: { type: String, required: true },
    roomId: { type: String, required: true },
    userId: { type: String, required: true },
    kind: { type: String, enum: ['direct', 'group'], required: true },
    joinedSeq: { type: Number, default: 0 },
    muted: { type: Boolean },
    mutedUntil: { type: Date },
  },
  { collection: 'memberships', versionKey: false },
);
membershipSchema.index({ userId: 1, kind: 1 });

const pinSchema = new Schema<PinDoc>(
  {
    _id: { type: String, required: true },
    roomId: { type: String, required: true },
    messageId: { type: String, required: true },
    pinnedBy: { type: String, required: true },
    pinnedAt: { type: Date, required: true },
  },
  { collection: 'pins', versionKey: false },
);
pinSchema.index({ roomId: 1 });

const messageSchema = new Schema<MessageDoc>(
  {
    roomId: { type: String, required: true },
    seq: { type: Number, required: true },
    senderId: { type: String, required: true },
    receiverId: { type: String },
    content: { type: String, required: true },
    clientMsgId: { type: String },
    createdAt: { type: Date, required: true },
    storedAt: { type: Date },
    acceptedBy: { type: String },
    editedAt: { type: Date },
    deletedAt: { type: Date },
    changedSeq: { type: Number },
    groupId: { type: String, default: null },
    mentions: { type: [String], default: undefined },
    replyTo: { type: new Schema({ id: String, senderId: String, excerpt: String }, { _id: false }), default: undefined },
    reactions: { type: [new Schema({ emoji: String, userIds: [String] }, { _id: false })], default: undefined },
    reactedSeq: { type: Number },
    rb: { type: String },
    deletedBy: { type: String },
  },
  { collection: 'messages', versionKey: false },
);
// every seq range of a room: one equality lookup per bucket (room-buckets.ts)
messageSchema.index({ rb: 1 });
// a member's mentions in a group
messageSchema.index({ roomId: 1, mentions: 1, seq: -1 });
// history and reconnect sync: one room, by seq
messageSchema.index({ roomId: 1, seq: 1 }, { unique: true });
// whether a user wrote in a pair room (group rules), for rooms whose summary does not say
messageSchema.index({ roomId: 1, senderId: 1 });

/** Each connection's Message model and the pair receivers it fills in on every read (pair-receivers.ts). */
const pairReceivers = new WeakMap<Model<MessageDoc>, PairReceivers>();
messageSchema.post(['find', 'findOne'], async function (res: unknown) {
  if (!res) return;
  // a projection that leaves receiverId out gets none (a caller that asked for a few fields needs no lookup)
  const fields = this.projection() as Record<string, unknown> | undefined;
  if (fields && Object.values(fields).some((v) => v === 1 || v === true) && !('receiverId' in fields)) return;
  await pairReceivers.get(this.model as Model<MessageDoc>)?.fill((Array.isArray(res) ? res : [res]) as Array<Partial<MessageDoc>>);
});

const cursorSchema = new Schema<CursorDoc>(
  {
    _id: { type: String, required: true },
    roomId: { type: String, required: true },
    userId: { type: String, required: true },
    deliveredSeq: { type: Number, default: 0 },
    deliveredAt: { type: Date, default: null },
    readSeq: { type: Number, default: 0 },
    readAt: { type: Date, default: null },
    deliveredFrom: { type: Number },
    readFrom: { type: Number },
  },
  { collection: 'cursors', versionKey: false },
);
cursorSchema.index({ userId: 1 });
cursorSchema.index({ roomId: 1 });

const inviteSchema = new Schema<InviteDoc>(
  {
    groupId: { type: String, required: true },
    inviterId: { type: String, required: true },
    inviteeId: { type: String, required: true },
    status: { type: String, enum: ['pending', 'accepted', 'declined'], default: 'pending' },
    createdAt: { type: Date, required: true },
    respondedAt: { type: Date, default: null },
  },
  { collection: 'invites', versionKey: false },
);
inviteSchema.index({ inviteeId: 1, status: 1 });
inviteSchema.index({ groupId: 1 });

const userSettingsSchema = new Schema<UserSettingsDoc>(
  {
    _id: { type: String, required: true },
    showPresence: { type: Boolean, default: true },
    groupAdds: { type: String, enum: GROUP_ADDS },
    pushPreview: Boolean,
    updatedAt: { type: Date, required: true },
  },
  { collection: 'user_settings', versionKey: false },
);

const blockSchema = new Schema<BlockDoc>(
  {
    _id: { type: String, required: true },
    blockerId: { type: String, required: true },
    blockedId: { type: String, required: true },
    createdAt: { type: Date, required: true },
  },
  { collection: 'blocks', versionKey: false },
);
// a user's blocks (the list, the edge's cache); who blocks a sender (fanout flags group messages)
blockSchema.index({ blockerId: 1 });
blockSchema.index({ blockedId: 1 });

const reportSchema = new Schema<ReportDoc>(
  {
    _id: { type: String, required: true },
    roomId: { type: String, required: true },
    messageId: { type: String, required: true },
    reporterId: { type: String, required: true },
    reason: { type: String, required: true },
    snapshot: { type: Schema.Types.Mixed, default: null },
    status: { type: String, enum: ['open', 'resolved'], required: true },
    createdAt: { type: Date, required: true },
    outcome: { type: String, enum: ['kept', 'deleted'] },
    resolvedBy: { type: String },
    resolvedAt: { type: Date },
  },
  { collection: 'reports', versionKey: false },
);
// the open reports (the operators' list); a message's reports (a delete resolves them all)
reportSchema.index({ status: 1, createdAt: 1 });
reportSchema.index({ messageId: 1 });
const moderationVerdictSchema = new Schema<ModerationVerdictDoc>(
  {
    _id: { type: String, required: true },
    roomId: { type: String, required: true },
    senderId: { type: String, required: true },
    action: { type: String, enum: ['reject', 'redact'], required: true },
    reason: { type: String, default: null },
    content: { type: String, default: null },
    source: { type: String, enum: ['hook', 'unavailable'], required: true },
    at: { type: Date, required: true },
  },
  { collection: 'moderation_verdicts', versionKey: false },
);

export interface Models {
  Conversation: Model<ConversationDoc>;
  Message: Model<MessageDoc>;
  Cursor: Model<CursorDoc>;
  Invite: Model<InviteDoc>;
  Membership: Model<MembershipDoc>;
  UserSettings: Model<UserSettingsDoc>;
  Pin: Model<PinDoc>;
  Block: Model<BlockDoc>;
  Report: Model<ReportDoc>;
  ModerationVerdict: Model<ModerationVerdictDoc>;
}

/** Models bound to the caller's connection: no global mongoose state. */
export function createModels(conn: Connection): Models {
  const Conversation = conn.model<ConversationDoc>('Conversation', conversationSchema);
  const Message = conn.model<MessageDoc>('Message', messageSchema);
  if (!pairReceivers.has(Message))
    pairReceivers.set(
      Message,
      new PairReceivers((id) =>
        Conversation.findById(id).select({ kind: 1, participants: 1 }).lean<Pick<ConversationDoc, 'kind' | 'participants'>>(),
      ),
    );
  return {
    Conversation,
    Message,
    Cursor: conn.model<CursorDoc>('Cursor', cursorSchema),
    Invite: conn.model<InviteDoc>('Invite', inviteSchema),
    Membership: conn.model<MembershipDoc>('Membership', membershipSchema),
    UserSettings: conn.model<UserSettingsDoc>('UserSettings', userSettingsSchema),
    Pin: conn.model<PinDoc>('Pin', pinSchema),
    Block: conn.model<BlockDoc>('Block', blockSchema),
    Report: conn.model<ReportDoc>('Report', reportSchema),
    ModerationVerdict: conn.model<ModerationVerdictDoc>('ModerationVerdict', moderationVerdictSchema),
  };
}

export async function ensureIndexes(m: Models): Promise<void> {
  await m.Conversation.createIndexes();
  await m.Message.createIndexes();
  await m.Cursor.createIndexes();
  await m.Invite.createIndexes();
  await m.Membership.createIndexes();
  await m.Pin.createIndexes();
  await m.Block.createIndexes();
  await m.Report.createIndexes();
}

/**
 * The batch size asked of finds that read a whole (bounded) result: everything comes back in the first
 * batch and no server cursor stays open. FerretDB v1 pins a PostgreSQL connection to each open cursor until
 * it is exhausted or times out, so clients killed mid-read (an edge SIGKILLed during its users' catch-up)
 * left cursors that emptied its pool, and every later query waited (seen with 200 sockets in the fault
 * suite). On MongoDB it saves the getMore round trips. Results stay far below the 16 MB batch limit.
 */
export const ONE_BATCH = 10_000;
