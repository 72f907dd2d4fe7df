import { NotFound } from '@chat/contracts';
import { decideMute } from '@chat/domain';
import type { RoomMuteSetting } from '@chat/store';
import type { Conversations } from '../ports';

export interface RoomSettingsWrites {
  setMute(roomId: string, userId: string, s: RoomMuteSetting): Promise<boolean>;
}

export interface RoomSettingsView {
  roomId: string;
  muted: boolean;
  mutedUntil: string | null;
}

/**
 * A member's own settings of one room (mute). Written by the edge, like the user's settings: they concern
 * the member alone, change nothing anyone else sees and have no order to keep with the room's messages.
 */
export class RoomSettingsUseCase {
  constructor(
    private readonly conversations: Pick<Conversations, 'scopeFor'>,
    private readonly store: RoomSettingsWrites,
    private readonly now: () => Date = () => new Date(),
  ) {}

  async update(userId: string, roomId: string, req: { muted: boolean; until?: string }): Promise<RoomSettingsView> {
    const mute = decideMute(req, this.now());
    const scope = await this.conversations.scopeFor(roomId, userId);
    if (!scope || !(await this.store.setMute(roomId, userId, mute))) throw new NotFound('room not found');
    return { roomId, muted: mute.muted, mutedUntil: mute.mutedUntil ? mute.mutedUntil.toISOString() : null };
  }
}
