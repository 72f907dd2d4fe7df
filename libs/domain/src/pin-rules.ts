import type { ErrorCode } from '@chat/contracts';

/** A room as the pin rule sees it: its kind, members, and (groups) admins, as stored. */
export interface PinRoom {
  kind: 'direct' | 'group';
  participants: readonly string[];
  admins: readonly string[];
}

/** What the rule reads of the message to pin. */
export interface PinnableMessage {
  roomId: string;
  deletedAt?: Date | string | null;
}

export interface PinState {
  /** Whether this message is pinned now. */
  pinned: boolean;
  /** How many messages of the room are pinned now. */
  count: number;
}

export type PinDecision = { ok: true; changes: boolean } | { ok: false; code: ErrorCode; message: string };

/**
 * Who may pin and unpin, and what: both participants of a one-to-one room, only admins in a group (admin
 * rights from the stored room, never the request); only a message of this room that is not deleted; at most
 * `limit` pins per room. Pinning a pinned message or unpinning one that is not pinned changes nothing and is
 * accepted (a redelivered command must not report failure). The edge judges with what it reads now; the
 * persistence worker judges again in the room's order, so a delete applied before a pin refuses the pin.
 */
export function judgePin(
  room: PinRoom | null,
  actorId: string,
  op: 'pin' | 'unpin',
  roomId: string,
  msg: PinnableMessage | null | undefined,
  state: PinState,
  limit: number,
): PinDecision {
  if (!room || !room.participants.includes(actorId)) return { ok: false, code: 'NOT_FOUND', message: 'room not found' };
  if (room.kind === 'group' && !room.admins.includes(actorId))
    return { ok: false, code: 'FORBIDDEN', message: 'only an admin may pin or unpin in a group' };
  if (op === 'unpin') return { ok: true, changes: state.pinned };
  if (!msg || msg.roomId !== roomId) return { ok: false, code: 'NOT_FOUND', message: 'message not found in this room' };
  if (msg.deletedAt) return { ok: false, code: 'CONFLICT', message: 'a deleted message cannot be pinned' };
  if (state.pinned) return { ok: true, changes: false };
  if (state.count >= limit) return { ok: false, code: 'LIMIT_REACHED', message: `a room has at most ${limit} pinned messages` };
  return { ok: true, changes: true };
}
