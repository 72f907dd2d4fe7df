import type { Redis } from 'ioredis';
import { CHAT_NAMESPACE_PATH, type DeliveryEnvelope, emitOf, InternalEvents } from '@chat/contracts';

/** Redis key prefix shared by the edges' adapter and the workers' emitter. */
export function adapterKey(ns: string): string {
  return `${ns}-socket.io`;
}

/** The adapter's request type for server-side emits (socket.io-redis-adapter's RequestType.SERVER_SIDE_EMIT). */
const SERVER_SIDE_EMIT = 6;

/** The sharded pub/sub channel of one edge: the deliveries for the users whose sockets it holds. */
export function edgeChannel(ns: string, edgeId: string): string {
  return `${ns}:edge:${edgeId}`;
}

/** The edge id that stands for "every edge" (see Presence's ANY_EDGE). */
const EVERY_EDGE = '*';

/**
 * How workers reach clients. Each edge gets only its share of a batch, on its own sharded channel
 * (SPUBLISH, Redis 7): with E edges a message is parsed by the edges that hold its recipients, not by all
 * E, and in a Redis Cluster each channel's traffic stays on one shard. A share for EVERY_EDGE (a presence
 * entry that names no edge) goes to every edge as one server-side event in the Redis adapter's own request
 * format (what @socket.io/redis-emitter's serverSideEmit sends). The edge emits them to its sockets,
 * gating new messages per socket (seq order, no duplicates). Unlike the emitter's fire-and-forget publish,
 * each publish is awaited: a Redis outage fails the batch and the broker redelivers it instead of the
 * delivery vanishing.
 */
export class EdgeChannel {
  private readonly requestChannel: string;

  constructor(
    private readonly redis: Redis,
    private readonly ns: string,
  ) {
    this.requestChannel = `${adapterKey(ns)}-request#${CHAT_NAMESPACE_PATH}#`;
  }

  /**
   * Publishes each edge its share (all at once: each share keeps the batch's order); resolves with how
   * many subscribers heard each share (0: that edge is gone).
   */
  async deliver(shares: Map<string, DeliveryEnvelope[]>): Promise<Map<string, number>> {
    const heard = new Map<string, number>();
    await Promise.all(
      [...shares].map(async ([edgeId, envelopes]) => {
        if (envelopes.length === 0) return;
        if (edgeId === EVERY_EDGE) {
          const request = JSON.stringify({ uid: 'fanout', type: SERVER_SIDE_EMIT, data: [InternalEvents.deliver, envelopes] });
          heard.set(edgeId, await this.redis.publish(this.requestChannel, request));
        } else {
          heard.set(edgeId, Number(await this.redis.spublish(edgeChannel(this.ns, edgeId), JSON.stringify(envelopes))));
        }
      }),
    );
    return heard;
  }
}

/**
 * Each edge's share of a batch, in the batch's order: an envelope for several users is split so that each
 * edge gets it once, naming only the users it holds.
 */
export function shareByEdge(envelopes: DeliveryEnvelope[], where: Map<string, Set<string>>): Map<string, DeliveryEnvelope[]> {
  const shares = new Map<string, DeliveryEnvelope[]>();
  const add = (edge: string, env: DeliveryEnvelope) => {
    const list = shares.get(edge);
    if (list) list.push(env);
    else shares.set(edge, [env]);
  };
  for (const env of envelopes) {
    if (!env.userIds) {
      for (const edge of where.get(env.userId!) ?? []) add(edge, env);
      continue;
    }
    const byEdge = new Map<string, string[]>();
    for (const u of env.userIds) {
      for (const edge of where.get(u) ?? []) {
        const held = byEdge.get(edge);
        if (held) held.push(u);
        else byEdge.set(edge, [u]);
      }
    }
    const { correlationId } = env;
    for (const [edge, userIds] of byEdge)
      add(edge, {
        ...emitOf(env),
        ...(correlationId ? { correlationId } : {}),
        ...(userIds.length === 1 ? { userId: userIds[0] } : { userIds }),
      });
  }
  return shares;
}

export function userRoom(userId: string): string {
  return `user:${userId}`;
}
