export {
  connectStore,
  openStore,
  isStoreUnavailable,
  pingStore,
  StoreTimeoutError,
  withStoreDeadline,
  type StoreConnection,
} from './connect';
export {
  createModels,
  ensureIndexes,
  ONE_BATCH,
  type Models,
  type ConversationDoc,
  type MessageDoc,
  type LastMessage,
  type CursorDoc,
  type InviteDoc,
  type UserSettingsDoc,
  type PinDoc,
  type BlockDoc,
  type ReportDoc,
  type ReportSnapshot,
  type ModerationVerdictDoc,
} from './models';
export { ConversationStore, lastIncomingSeq, lastSeqBySender, type SummaryWrite } from './conversation-store';
export { withTail, tailIsOpen, headState, type RoomHeadState, type TailMessage } from './room-tail';
export { backfillMessageBuckets, bucketOf, BUCKET_SIZE } from './room-buckets';
export { MessageStore, type HistoryPage, type NewMessage } from './message-store';
export { type RoomScope } from './scope';
export { type MemberRoom } from './membership';
export { toMessageView, toHistoryView, toConversationView, toGroupView, groupCounts, reactionView, replyTombstone } from './views';
export { CursorStore, cursorPass, statusFor, type CursorKind, type CursorMove } from './cursor-store';
export { GroupStore, toGroupState, type GroupState } from './group-store';
export { UserSettingsStore, DEFAULT_SETTINGS, type UserSettings } from './user-settings-store';
export { PinStore } from './pin-store';
export { ModerationVerdictStore, type StoredVerdict } from './moderation-store';
export { RoomSettingsStore, type RoomMuteSetting } from './room-settings-store';
export {
  MessageSearch,
  detectStoreKind,
  SEARCH_INDEX,
  type StoreKind,
  type SearchRoom,
  type SearchQuery,
  type SearchPage,
  type SearchPosition,
} from './message-search';
export { searchWords, holdsAllWords, foldText } from './search-words';
export { BlockStore, blockId } from './block-store';
export { ReportStore, reportIdFor, type NewReport } from './report-store';
