import { Schema, type Connection, type Model, type Types } from 'mongoose';
import type { MessageStatus } from '@chat/contracts';

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
  /** Canonical "a:b" key of a one-to-one pair: makes create-or-return one idempotent upsert. */
  key: string;
  participants: string[];
  lastSeq: number;
  lastMessage: LastMessage | null;
  lastActivityAt: Date;
  /** Per participant, the highest seq their devices acknowledged (drives reconnect sync). */
  deliveredSeq: Record<string, number>;
  readSeq: Record<string, number>;
  createdAt: Date;
}

export interface MessageDoc {
  _id: Types.ObjectId;
  roomId: string;
  seq: number;
  senderId: string;
  receiverId: string;
  content: string;
  clientMsgId: string | null;
  status: MessageStatus;
  createdAt: Date;
  editedAt: Date | null;
  deletedAt: Date | null;
  deliveredAt: Date | null;
  readAt: Date | null;
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
    participants: { type: [String], required: true },
    lastSeq: { type: Number, default: 0 },
    lastMessage: { type: lastMessage, default: null },
    lastActivityAt: { type: Date, required: true },
    deliveredSeq: { type: Schema.Types.Mixed, default: {} },
    readSeq: { type: Schema.Types.Mixed, default: {} },
    createdAt: { type: Date, required: true },
  },
  { collection: 'conversations', versionKey: false, minimize: false },
);
conversationSchema.index({ key: 1 }, { unique: true });
conversationSchema.index({ participants: 1, lastActivityAt: -1 });

const messageSchema = new Schema<MessageDoc>(
  {
    roomId: { type: String, required: true },
    seq: { type: Number, required: true },
    senderId: { type: String, required: true },
    receiverId: { type: String, required: true },
    content: { type: String, required: true },
    clientMsgId: { type: String, default: null },
    status: { type: String, enum: ['sent', 'delivered', 'read'], default: 'sent' },
    createdAt: { type: Date, required: true },
    editedAt: { type: Date, default: null },
    deletedAt: { type: Date, default: null },
    deliveredAt: { type: Date, default: null },
    readAt: { type: Date, default: null },
  },
  { collection: 'messages', versionKey: false },
);
// history and reconnect sync: one room, by seq
messageSchema.index({ roomId: 1, seq: 1 }, { unique: true });
// unread counts and receipts: one receiver's messages by status
messageSchema.index({ receiverId: 1, status: 1, roomId: 1 });

export interface Models {
  Conversation: Model<ConversationDoc>;
  Message: Model<MessageDoc>;
}

/** Models bound to the caller's connection: no global mongoose state. */
export function createModels(conn: Connection): Models {
  return {
    Conversation: conn.model<ConversationDoc>('Conversation', conversationSchema),
    Message: conn.model<MessageDoc>('Message', messageSchema),
  };
}

export async function ensureIndexes(m: Models): Promise<void> {
  await m.Conversation.createIndexes();
  await m.Message.createIndexes();
}
