import { randomUUID } from 'node:crypto';
import { AppError, MAX_PINS_PER_ROOM, NotFound, RoutingKeys, type MessageView, type PinCommand, type TombstoneView } from '@chat/contracts';
import { judgePin, type PinnableMessage } from '@chat/domain';
import { toHistoryView, type ConversationDoc, type PinDoc } from '@chat/store';
import type { AcceptedLog, CommandBus, Conversations, Cursors, Messages } from '../ports';
import type { SenderLanes } from '../sender-lanes';

export interface PinReads {
  list(roomId: string): Promise<PinDoc[]>;
  state(roomId: string, messageId: string): Promise<{ pinned: boolean; count: number }>;
}

export interface PinRequest {
  userId: string;
  roomId: string;
  messageId: string;
  op: 'pin' | 'unpin';
  correlationId?: string;
}

export interface PinAccepted {
  roomId: string;
  messageId: string;
  op: 'pin' | 'unpin';
  status: 'accepted';
}

export interface PinnedMessage {
  messageId: string;
  pinnedBy: string;
  pinnedAt: string;
  message: MessageView | TombstoneView;
}

/**
 * Pins and unpins, sent through the room's ordered queue: the persistence worker applies them after the
 * messages and deletes before them (a deleted message cannot be pinned; a delete unpins) and the members
 * hear message_pinned / message_unpinned. What the pin rule (`judgePin`, the worker's too) refuses against
 * the stored room, message and pins is refused here at once; a refusal only the worker sees (two pins at
 * once past the limit) reaches the actor as pin_error.
 */
export class PinsUseCase {
  constructor(
    private readonly conversations: Pick<Conversations, 'get' | 'scopeFor'>,
    private readonly messages: Pick<Messages, 'findByIds'>,
    private readonly pins: PinReads,
    private readonly cursors: Pick<Cursors, 'forRoom'>,
    private readonly accepted: Pick<AcceptedLog, 'get'>,
    private readonly bus: CommandBus,
    private readonly lanes: SenderLanes,
    private readonly now: () => Date = () => new Date(),
  ) {}

  execute(req: PinRequest): Promise<PinAccepted> {
    return this.lanes.run(req.userId, async (turn, handOver) => {
      // in lane order: a send of this user just before the pin is published before the message is looked up
      await turn();
      const [room, scope] = await Promise.all([this.conversations.get(req.roomId), this.conversations.scopeFor(req.roomId, req.userId)]);
      const [msg, state] = await Promise.all([
        req.op === 'pin' && scope ? this.message(req.messageId, scope.fromSeq) : null,
        this.pins.state(req.roomId, req.messageId),
      ]);
      const verdict = judgePin(scope && room ? roomOf(room) : null, req.userId, req.op, req.roomId, msg, state, MAX_PINS_PER_ROOM);
      if (!verdict.ok) throw new AppError(verdict.code, verdict.message);
      const cmd: PinCommand = {
        type: req.op === 'pin' ? RoutingKeys.messagePin : RoutingKeys.messageUnpin,
        correlationId: req.correlationId ?? randomUUID(),
        roomId: req.roomId,
        messageId: req.messageId,
        actorId: req.userId,
        requestedAt: this.now().toISOString(),
      };
      const confirmed = this.bus.publishConfirmed(this.bus.route(cmd.type, cmd.roomId), cmd, { correlationId: cmd.correlationId });
      handOver();
      await confirmed;
      return { roomId: req.roomId, messageId: req.messageId, op: req.op, status: 'accepted' };
    });
  }

  /** The room's pins, newest first, each with its message as history shows it (members only). */
  async list(userId: string, roomId: string): Promise<{ roomId: string; pins: PinnedMessage[] }> {
    const scope = await this.conversations.scopeFor(roomId, userId);
    if (!scope) throw new NotFound('room not found');
    const pins = await this.pins.list(roomId);
    const [docs, cursors] = await Promise.all([this.messages.findByIds(pins.map((p) => p.messageId)), this.cursors.forRoom(roomId)]);
    const byId = new Map(docs.map((d) => [String(d._id), d]));
    const out: PinnedMessage[] = [];
    for (const p of pins) {
      const m = byId.get(p.messageId);
      // a member sees the pins of messages from when it joined, as in history
      if (!m || m.roomId !== roomId || m.seq <= scope.fromSeq) continue;
      const message = toHistoryView(m, scope.kind === 'direct' ? cursors.get(m.receiverId) : undefined);
      out.push({ messageId: p.messageId, pinnedBy: p.pinnedBy, pinnedAt: new Date(p.pinnedAt).toISOString(), message });
    }
    return { roomId, pins: out };
  }

  /** The message as the rule reads it: stored (and visible to the member), or accepted and still on its way to the store. */
  private async message(messageId: string, fromSeq: number): Promise<PinnableMessage | null> {
    const [stored] = await this.messages.findByIds([messageId]);
    if (stored) return stored.seq > fromSeq ? stored : null;
    const pending = await this.accepted.get(messageId);
    return pending ? { roomId: pending.roomId, deletedAt: null } : null;
  }
}

function roomOf(c: ConversationDoc) {
  return { kind: c.kind ?? 'direct', participants: c.participants, admins: c.admins ?? [] };
}
