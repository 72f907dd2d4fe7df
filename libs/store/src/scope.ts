declare const scopeBrand: unique symbol;

/**
 * Proof that `userId` is a participant of `roomId`. Only ConversationStore.scopeFor makes one, and every
 * message query takes one, so no message query can run without the membership filter.
 */
export interface RoomScope {
  readonly roomId: string;
  readonly userId: string;
  readonly participants: readonly string[];
  readonly kind: 'direct' | 'group';
  /**
   * The room's seq when the user joined it: the user sees only messages after it (0: all). A member added
   * to a group later gets its messages from then on: they are not pushed to its devices, counted as
   * unread or served as history. Every message query applies it.
   */
  readonly fromSeq: number;
  readonly [scopeBrand]: true;
}

export function makeScope(
  roomId: string,
  userId: string,
  participants: readonly string[],
  kind: 'direct' | 'group' = 'direct',
  fromSeq = 0,
): RoomScope {
  return Object.freeze({ roomId, userId, participants, kind, fromSeq }) as RoomScope;
}
