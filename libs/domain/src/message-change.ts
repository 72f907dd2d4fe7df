import { RoutingKeys, type DeleteMessageCommand, type EditMessageCommand, type ErrorCode } from '@chat/contracts';

export type ChangeCommand = EditMessageCommand | DeleteMessageCommand;

/** Why a command is refused: a machine-readable code and a message for the actor. */
export interface Refusal {
  code: ErrorCode;
  message: string;
}

/** What the rule reads of a stored message. */
export interface ChangeableMessage {
  roomId: string;
  senderId: string;
  groupId?: string | null;
  createdAt: Date | string;
  deletedAt?: Date | string | null;
}

/**
 * The rule for changing a stored message: only its sender, in a group only while still a member, only
 * while it is not deleted, and an edit only with content and within the window counted from when the edge
 * accepted it (`requestedAt`). Deleting a deleted message succeeds again (a redelivered delete must not
 * report failure). The edge judges with the membership it reads now; the worker judges again with the
 * group's commands applied in the same order, so a removal before the change counts.
 */
export function judgeChange(
  msg: ChangeableMessage | null | undefined,
  cmd: ChangeCommand,
  editWindowMs: number,
  groupMembers: readonly string[] = [],
): Refusal | null {
  if (cmd.type === RoutingKeys.messageEdit && cmd.content.trim().length === 0)
    return { code: 'VALIDATION_FAILED', message: 'content must not be blank' };
  const verb = cmd.type === RoutingKeys.messageEdit ? 'edit' : 'delete';
  if (!msg || msg.roomId !== cmd.roomId) return { code: 'NOT_FOUND', message: 'message not found' };
  if (msg.groupId && !groupMembers.includes(cmd.actorId)) return { code: 'NOT_FOUND', message: 'message not found' };
  if (msg.senderId !== cmd.actorId) return { code: 'FORBIDDEN', message: `only the sender may ${verb} a message` };
  if (cmd.type === RoutingKeys.messageDelete) return null;
  if (msg.deletedAt) return { code: 'CONFLICT', message: 'a deleted message cannot be edited' };
  if (Date.parse(cmd.requestedAt) - new Date(msg.createdAt).getTime() > editWindowMs) {
    return { code: 'EDIT_WINDOW_CLOSED', message: 'the edit window for this message has closed' };
  }
  return null;
}
