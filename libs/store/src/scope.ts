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
  readonly [scopeBrand]: true;
}

export function makeScope(roomId: string, userId: string, participants: readonly string[], kind: 'direct' | 'group' = 'direct'): RoomScope {
  return Object.freeze({ roomId, userId, participants, kind }) as RoomScope;
}
