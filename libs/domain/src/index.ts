/**
 * The chat's rules as pure functions of stored state and one command. The edge calls them to refuse at
 * once what the stored state already forbids; the persistence worker calls the same functions when it
 * applies the command in the room's order, so both judge alike.
 */
export { judgeChange, type ChangeCommand, type ChangeableMessage, type Refusal } from './message-change';
export {
  decideGroupCommand,
  groupAddsDirectly,
  judgeGroupCap,
  judgeInviteAnswer,
  splitGroupAdds,
  UNKNOWN_JOINER,
  usersNamed,
  type GroupDecision,
  type GroupFacts,
  type GroupLimits,
  type Joiner,
  type GroupState,
  type InviteAnswer,
  type InviteState,
} from './group-rules';
export { judgePin, type PinDecision, type PinnableMessage, type PinRoom, type PinState } from './pin-rules';
export { decideMute, isMuted, type RoomMute } from './mute-rules';
export {
  applyReaction,
  judgeReaction,
  MAX_REACTION_KINDS,
  reactionCounts,
  reactionsOf,
  type ReactableMessage,
  type ReactionCommand,
  type ReactionEntry,
} from './reactions';
export { judgeReplyTarget, replyExcerpt, REPLY_EXCERPT_LENGTH, type ReplyTarget } from './replies';
export { BLOCKED, flagBlockedSender, judgeBlock, judgeSend, type BlockView } from './block-rules';
export { judgeModeration, judgeReport, type ReportableMessage, type ReportState } from './report-rules';
