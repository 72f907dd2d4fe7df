export { connectStore, openStore, isStoreUnavailable, pingStore, type StoreConnection } from './connect';
export { createModels, ensureIndexes, ONE_BATCH, type Models, type ConversationDoc, type MessageDoc, type LastMessage, type CursorDoc, type InviteDoc } from './models';
export { ConversationStore, lastIncomingSeq, lastSeqBySender } from './conversation-store';
export { MessageStore, type HistoryPage, type NewMessage } from './message-store';
export { type RoomScope } from './scope';
export { type MemberRoom } from './membership';
export { toMessageView, toHistoryView, toConversationView, toGroupView, groupCounts } from './views';
export { CursorStore, statusFor, type CursorKind, type CursorMove } from './cursor-store';
export { GroupStore, type GroupState } from './group-store';
