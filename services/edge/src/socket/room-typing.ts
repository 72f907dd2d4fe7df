import { envelope, NotFound, ServerEvents, type DeliveryEnvelope } from '@chat/contracts';
import type { Logger } from '@chat/logging';
import type { RoomMembers } from '../room-members';
import { TypingThrottle } from './typing-throttle';

/** Who is in a room (cached), and how events for other edges leave this one. */
export interface TypingRooms {
  members: RoomMembers;
  relay: (env: DeliveryEnvelope) => Promise<void>;
  stopAfterMs?: number;
}

/** Typing starts and stops per (user, room), throttled; what comes out goes to the room's other members. */
export class RoomTyping {
  private readonly throttle: TypingThrottle;

  constructor(
    private readonly rooms: TypingRooms | undefined,
    private readonly log: Logger,
  ) {
    this.throttle = new TypingThrottle((key, isTyping) => void this.send(key, isTyping), { stopAfterMs: rooms?.stopAfterMs });
  }

  /** A member of the room started or stopped typing; anyone else is told the room does not exist. */
  async input(userId: string, roomId: string, isTyping: boolean, beforeRead?: () => Promise<unknown>): Promise<void> {
    if (!this.rooms || !(await this.rooms.members.membersIfIn(roomId, userId, beforeRead))) throw new NotFound('room not found');
    this.throttle.input(`${userId}|${roomId}`, isTyping);
  }

  /** The user's last socket here closed: whatever it was typing stops. */
  stopAllOf(userId: string): void {
    this.throttle.stopAll((key) => key.startsWith(`${userId}|`));
  }

  private async send(key: string, isTyping: boolean): Promise<void> {
    const rooms = this.rooms;
    if (!rooms) return;
    const [userId, roomId] = key.split('|');
    try {
      const members = await rooms.members.membersIfIn(roomId, userId);
      const others = members?.filter((u) => u !== userId) ?? [];
      if (others.length > 0) await rooms.relay(envelope({ userIds: others }, ServerEvents.typing, { roomId, userId, isTyping }));
    } catch (err) {
      this.log.warn({ err: (err as Error).message }, 'typing event not sent');
    }
  }
}
