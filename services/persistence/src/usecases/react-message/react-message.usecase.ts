import { RoutingKeys, type MessageReactedEvent, type ReactMessageCommand } from '@chat/contracts';
import { applyReaction, judgeReaction, reactionCounts } from '@chat/domain';
import type { MessageDoc } from '@chat/store';

export interface ReactionStore {
  findByIds(ids: string[]): Promise<MessageDoc[]>;
  applyReactions(messageId: string, reactions: MessageDoc['reactions'], reactedSeq?: number): Promise<void>;
  /** The group's current members (only they may react to its messages). */
  groupMembers(groupId: string): Promise<string[]>;
}

/**
 * Applies one reaction in the room's order (after the sends, edits and deletes before it), judged by the
 * same rule as the edge (`judgeReaction`) on the message as stored now: a reaction that arrives after a
 * delete is refused. This worker is the room's only writer, so reading the reactions, changing them and
 * writing them back loses nothing.
 */
export class ReactMessageUseCase {
  constructor(
    private readonly store: ReactionStore,
    /** The room seq the change takes (StoreMessagesUseCase.stampChange): catch-ups find missed reactions by it. */
    private readonly stamp: (roomId: string) => Promise<number | null> = async () => null,
  ) {}

  async execute(cmd: ReactMessageCommand): Promise<MessageReactedEvent> {
    const [msg] = await this.store.findByIds([cmd.messageId]);
    const members = msg?.groupId ? await this.store.groupMembers(msg.groupId) : [];
    const base = {
      type: RoutingKeys.messageReacted,
      correlationId: cmd.correlationId,
      messageId: cmd.messageId,
      roomId: cmd.roomId,
      actorId: cmd.actorId,
      emoji: cmd.emoji,
      on: cmd.on,
    } as const;
    const refusal = judgeReaction(msg, cmd, members);
    if (refusal || !msg)
      return { ...base, audience: [], outcome: 'refused', error: refusal ?? { code: 'NOT_FOUND', message: 'message not found' } };

    const after = applyReaction(msg.reactions, cmd.actorId, cmd.emoji, cmd.on);
    const counts = reactionCounts(after);
    // a repeat (a redelivery, or setting what one has) writes nothing; members still hear the counts
    if (!sameReactions(msg.reactions ?? [], after))
      await this.store.applyReactions(cmd.messageId, after, (await this.stamp(cmd.roomId)) ?? undefined);
    const audience = msg.groupId ? { audience: [], groupId: msg.groupId } : { audience: [msg.senderId, msg.receiverId] };
    return { ...base, ...audience, outcome: 'applied', counts };
  }
}

function sameReactions(a: NonNullable<MessageDoc['reactions']>, b: NonNullable<MessageDoc['reactions']>): boolean {
  return a.length === b.length && a.every((r, i) => r.emoji === b[i].emoji && r.userIds.join(',') === b[i].userIds.join(','));
}
