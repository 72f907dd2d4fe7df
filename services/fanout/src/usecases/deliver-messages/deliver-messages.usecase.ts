import { RoutingKeys, type DeliveryEnvelope, type FanoutEvent, type MessageChangedEvent, type MessageView } from '@chat/contracts';

export interface PresencePort {
  whoIsOnline(userIds: string[]): Promise<Set<string>>;
}
export interface InboxPort {
  park(userId: string, messages: MessageView[]): Promise<void>;
  parkEvents(userId: string, items: Array<{ key: string; envelope: DeliveryEnvelope }>): Promise<void>;
}
export interface EdgePort {
  /** Resolves with how many edges heard the batch. */
  deliver(envelopes: DeliveryEnvelope[]): Promise<number>;
}

export interface DeliveryReport {
  live: number;
  parked: number;
}

/** What an edit or delete means for each side: the actor learns the outcome, the peer sees the change. */
export function changeEnvelopes(e: MessageChangedEvent): DeliveryEnvelope[] {
  const statusEvent = e.change === 'edited' ? 'edit_message_status' : 'delete_message_status';
  if (e.outcome === 'refused') {
    return [{ userId: e.actorId, event: statusEvent, payload: { messageId: e.messageId, roomId: e.roomId, status: 'error', error: e.error } }];
  }
  const detail = e.change === 'edited' ? { content: e.content, editedAt: e.editedAt } : { deletedAt: e.deletedAt };
  const out: DeliveryEnvelope[] = [
    { userId: e.actorId, event: statusEvent, payload: { messageId: e.messageId, roomId: e.roomId, status: e.change, ...detail } },
  ];
  if (e.peerId) {
    out.push({
      userId: e.peerId,
      event: e.change === 'edited' ? 'message_edited' : 'message_deleted',
      payload: { messageId: e.messageId, roomId: e.roomId, ...detail },
    });
  }
  return out;
}

/**
 * Routes stored messages to their receivers: live through the edges when the receiver has a socket,
 * otherwise parked in the receiver's offline inbox. The sender's devices are told the stored message
 * (with its seq) as `message_sent`. One publish per batch reaches every edge.
 */
export class DeliverMessagesUseCase {
  constructor(
    private readonly presence: PresencePort,
    private readonly inbox: InboxPort,
    private readonly edges: EdgePort,
  ) {}

  async execute(events: FanoutEvent[]): Promise<DeliveryReport> {
    const users = events.flatMap((e) =>
      e.type === RoutingKeys.messagePersisted ? [e.message.receiverId, e.message.senderId] : [e.actorId, ...(e.peerId ? [e.peerId] : [])],
    );
    const online = await this.presence.whoIsOnline(users);
    const envelopes: DeliveryEnvelope[] = [];
    const parked = new Map<string, MessageView[]>();
    const parkedEvents = new Map<string, Array<{ key: string; envelope: DeliveryEnvelope }>>();
    const park = (userId: string, m: MessageView) => parked.set(userId, [...(parked.get(userId) ?? []), m]);

    for (const e of events) {
      if (e.type === RoutingKeys.messageChanged) {
        for (const env of changeEnvelopes(e)) {
          if (online.has(env.userId)) envelopes.push(env);
          else if (env.userId === e.peerId) {
            const key = `${env.event}:${e.messageId}:${e.editedAt ?? e.deletedAt ?? ''}`;
            parkedEvents.set(env.userId, [...(parkedEvents.get(env.userId) ?? []), { key, envelope: env }]);
          }
        }
        continue;
      }
      const { message } = e;
      if (online.has(message.receiverId)) {
        envelopes.push({ userId: message.receiverId, event: 'receive_message', payload: { message } });
      } else {
        park(message.receiverId, message);
      }
      if (online.has(message.senderId)) {
        envelopes.push({ userId: message.senderId, event: 'message_sent', payload: { message } });
      }
    }

    let live = envelopes.filter((e) => e.event === 'receive_message').length;
    if (envelopes.length > 0) {
      const heard = await this.edges.deliver(envelopes);
      if (heard === 0) {
        // presence said online but no edge is listening (all edges restarting): keep the messages
        for (const e of envelopes) if (e.event === 'receive_message') park(e.userId, e.payload.message);
        live = 0;
      }
    }
    await Promise.all([
      ...[...parked].map(([userId, list]) => this.inbox.park(userId, list)),
      ...[...parkedEvents].map(([userId, list]) => this.inbox.parkEvents(userId, list)),
    ]);
    return { live, parked: [...parked.values()].reduce((n, l) => n + l.length, 0) };
  }
}
