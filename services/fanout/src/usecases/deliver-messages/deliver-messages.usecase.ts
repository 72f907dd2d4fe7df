import type { DeliveryEnvelope, MessagePersistedEvent, MessageView } from '@chat/contracts';

export interface PresencePort {
  whoIsOnline(userIds: string[]): Promise<Set<string>>;
}
export interface InboxPort {
  park(userId: string, messages: MessageView[]): Promise<void>;
}
export interface EdgePort {
  /** Resolves with how many edges heard the batch. */
  deliver(envelopes: DeliveryEnvelope[]): Promise<number>;
}

export interface DeliveryReport {
  live: number;
  parked: number;
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

  async execute(events: MessagePersistedEvent[]): Promise<DeliveryReport> {
    const users = events.flatMap((e) => [e.message.receiverId, e.message.senderId]);
    const online = await this.presence.whoIsOnline(users);
    const envelopes: DeliveryEnvelope[] = [];
    const parked = new Map<string, MessageView[]>();
    const park = (userId: string, m: MessageView) => parked.set(userId, [...(parked.get(userId) ?? []), m]);

    for (const { message } of events) {
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
    await Promise.all([...parked].map(([userId, list]) => this.inbox.park(userId, list)));
    return { live, parked: [...parked.values()].reduce((n, l) => n + l.length, 0) };
  }
}
