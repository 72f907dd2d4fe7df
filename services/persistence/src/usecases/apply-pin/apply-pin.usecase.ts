import { MAX_PINS_PER_ROOM, RoutingKeys, type PinChangedEvent, type PinCommand } from '@chat/contracts';
import { judgePin } from '@chat/domain';
import type { ConversationDoc, MessageDoc } from '@chat/store';

export interface PinPort {
  room(roomId: string): Promise<ConversationDoc | null>;
  findByIds(ids: string[]): Promise<MessageDoc[]>;
  state(roomId: string, messageId: string): Promise<{ pinned: boolean; count: number }>;
  add(roomId: string, messageId: string, by: string, at: Date): Promise<void>;
  remove(roomId: string, messageId: string): Promise<boolean>;
}

/**
 * Judges and applies one pin or unpin in the room's order (this worker is the room's only writer, so the
 * count it reads is the count it writes against) and reports it: to the members when applied, to the actor
 * when refused. A repeat (already pinned, not pinned) is applied again and reported again: a redelivered
 * command whose event was lost must still reach the members.
 */
export class ApplyPinUseCase {
  constructor(
    private readonly store: PinPort,
    private readonly limit = MAX_PINS_PER_ROOM,
  ) {}

  async execute(cmd: PinCommand): Promise<PinChangedEvent> {
    const op = cmd.type === RoutingKeys.messagePin ? 'pin' : 'unpin';
    const [room, state, [msg]] = await Promise.all([
      this.store.room(cmd.roomId),
      this.store.state(cmd.roomId, cmd.messageId),
      op === 'pin' ? this.store.findByIds([cmd.messageId]) : Promise.resolve([]),
    ]);
    const base = {
      type: RoutingKeys.pinChanged,
      correlationId: cmd.correlationId,
      change: op === 'pin' ? 'pinned' : 'unpinned',
      roomId: cmd.roomId,
      messageId: cmd.messageId,
      actorId: cmd.actorId,
    } as const;
    const room_ = room ? { kind: room.kind ?? 'direct', participants: room.participants, admins: room.admins ?? [] } : null;
    const verdict = judgePin(room_, cmd.actorId, op, cmd.roomId, msg, state, this.limit);
    if (!verdict.ok) return { ...base, outcome: 'refused', members: [], error: { code: verdict.code, message: verdict.message } };
    if (verdict.changes && op === 'pin') await this.store.add(cmd.roomId, cmd.messageId, cmd.actorId, new Date(cmd.requestedAt));
    if (verdict.changes && op === 'unpin') await this.store.remove(cmd.roomId, cmd.messageId);
    return { ...base, outcome: 'applied', members: [...room!.participants] };
  }
}
