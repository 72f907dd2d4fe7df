import { isMuted } from '@chat/domain';
import { lastIncomingSeq, type LastMessage, type MemberRoom } from '@chat/store';
import { mapBounded } from './bounded';
import type { Conversations, Cursors, Messages } from './ports';

export interface RoomSummary {
  unreadCount: number;
  /** A deleted last message is a tombstone: its content is null. */
  lastMessage: (Omit<LastMessage, 'createdAt' | 'content'> & { content: string | null; createdAt: string }) | null;
  /** The user muted the room (only this user sees it); `mutedUntil` null: until unmuted. A lapsed mute reads false. */
  muted: boolean;
  mutedUntil: string | null;
}

/**
 * What a room list shows of each of the user's rooms, one-to-one or group: the last message and how many
 * messages to the user are unread. Counting reads the store only for rooms with something new since the
 * user's read cursor (or since the user joined: earlier messages are not the user's to read).
 */
export class RoomSummaries {
  constructor(
    private readonly conversations: Conversations,
    private readonly messages: Messages,
    private readonly cursors: Cursors,
  ) {}

  async of(userId: string, docs: MemberRoom[]): Promise<RoomSummary[]> {
    if (docs.length === 0) return [];
    const mine = await this.cursors.forUser(userId);
    const unread = await mapBounded(docs, async (c) => {
      const read = Math.max(mine.get(String(c._id))?.readSeq ?? 0, c.joinedSeq);
      const upto = lastIncomingSeq(c, userId);
      if (upto <= read) return 0;
      const scope = await this.conversations.scopeFor(String(c._id), userId);
      return scope ? this.messages.countIncomingSince(scope, read, upto) : 0;
    });
    const now = new Date();
    return docs.map((c, i) => ({
      unreadCount: unread[i],
      ...muteOf(c, now),
      lastMessage:
        c.lastMessage && c.lastMessage.seq > c.joinedSeq
          ? {
              ...c.lastMessage,
              content: c.lastMessage.deleted ? null : c.lastMessage.content,
              createdAt: new Date(c.lastMessage.createdAt).toISOString(),
            }
          : null,
    }));
  }
}

function muteOf(c: MemberRoom, now: Date): Pick<RoomSummary, 'muted' | 'mutedUntil'> {
  if (!isMuted(c, now)) return { muted: false, mutedUntil: null };
  return { muted: true, mutedUntil: c.mutedUntil ? new Date(c.mutedUntil).toISOString() : null };
}
