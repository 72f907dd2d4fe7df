import { recipientsOf, type DeliveryEnvelope } from '@chat/contracts';
import { shareByEdge } from './edge-channel';

/** Publishes each edge its share (EdgeChannel.deliver); resolves with how many listeners heard each. */
export interface EdgeShares {
  deliver(shares: Map<string, DeliveryEnvelope[]>): Promise<Map<string, number>>;
}

/** Per online user, the edges holding its sockets (Presence.whereOnline). */
export interface WhereOnline {
  whereOnline(userIds: string[]): Promise<Map<string, Set<string>>>;
}

/**
 * Sends envelopes to the edges holding their users (`where`: user → edges), each edge its share in one
 * publish, and resolves with the recipients no edge heard: presence named edges for them, but none of
 * those is listening (it died or is restarting). The caller decides what they miss (fanout parks their
 * messages; a receipt is read from the store on reconnect).
 */
export async function sendToEdges(edges: EdgeShares, envelopes: DeliveryEnvelope[], where: Map<string, Set<string>>): Promise<Set<string>> {
  const unheard = new Set<string>();
  if (envelopes.length === 0) return unheard;
  const heard = await edges.deliver(shareByEdge(envelopes, where));
  for (const u of new Set(envelopes.flatMap(recipientsOf))) {
    if ([...(where.get(u) ?? [])].every((edge) => (heard.get(edge) ?? 0) === 0)) unheard.add(u);
  }
  return unheard;
}

/** Tells the online users live, through the edges holding their sockets; the offline get nothing. */
export class LiveNotifier {
  constructor(
    private readonly presence: WhereOnline,
    private readonly edges: EdgeShares,
  ) {}

  async deliver(envelopes: DeliveryEnvelope[]): Promise<Set<string>> {
    if (envelopes.length === 0) return new Set();
    return sendToEdges(this.edges, envelopes, await this.presence.whereOnline(envelopes.flatMap(recipientsOf)));
  }
}
