import { isMuted } from '@chat/domain';
import { type Models, type MembershipDoc } from './models';
import { lookupEach } from './lookup-each';

const rowId = (roomId: string, userId: string) => `${roomId}:${userId}`;

export interface RoomMuteSetting {
  muted: boolean;
  mutedUntil: Date | null;
}

/**
 * Each member's own settings of a room (today: mute), kept on the member's membership row so the room
 * lists read them with the rows they read anyway (roomsOf). Only the member writes them, through the edge.
 */
export class RoomSettingsStore {
  constructor(private readonly m: Models) {}

  /** Writes the member's mute; false when the user has no row for the room (not a member). */
  async setMute(roomId: string, userId: string, s: RoomMuteSetting): Promise<boolean> {
    const res = await this.m.Membership.updateOne({ _id: rowId(roomId, userId) }, { $set: { muted: s.muted, mutedUntil: s.mutedUntil } });
    return res.matchedCount === 1;
  }

  /**
   * Which of these users have the room muted at `at`: the lookup for the delivery side (push, webhooks),
   * which sends to a muted receiver nothing that would ring. Messages, unread counts and socket events are
   * not affected by a mute.
   */
  async mutedAmong(roomId: string, userIds: string[], at: Date = new Date()): Promise<Set<string>> {
    const mutes = await this.mutesOf(roomId, userIds);
    return new Set([...mutes].filter(([, m]) => isMuted(m, at)).map(([u]) => u));
  }

  /** The stored mutes of these members of the room (a non-member is left out). One _id lookup each (lookupEach: FerretDB v1 scans on `$in`). */
  async mutesOf(roomId: string, userIds: string[]): Promise<Map<string, RoomMuteSetting>> {
    const rows = await lookupEach([...new Set(userIds)], (u) =>
      this.m.Membership.findById(rowId(roomId, u))
        .select({ userId: 1, muted: 1, mutedUntil: 1 })
        .lean<Pick<MembershipDoc, 'userId' | 'muted' | 'mutedUntil'>>(),
    );
    return new Map(rows.map((r) => [r.userId, { muted: r.muted === true, mutedUntil: r.mutedUntil ?? null }]));
  }
}
