import type { Redis } from 'ioredis';
import { CHAT_NAMESPACE_PATH, type DeliveryEnvelope, InternalEvents } from '@chat/contracts';

/** Redis key prefix shared by the edges' adapter and the workers' emitter. */
export function adapterKey(ns: string): string {
  return `${ns}-socket.io`;
}

/** The adapter's request type for server-side emits (socket.io-redis-adapter's RequestType.SERVER_SIDE_EMIT). */
const SERVER_SIDE_EMIT = 6;

/**
 * How workers reach clients. A batch of deliveries goes to every edge as one server-side event, in the
 * Redis adapter's own request format (what @socket.io/redis-emitter's serverSideEmit sends), and the edge
 * holding the user's sockets emits them, gating new messages per socket (seq order, no duplicates).
 * Unlike the emitter's fire-and-forget publish, this one is awaited: a Redis outage fails the batch and
 * the broker redelivers it instead of the delivery vanishing.
 */
export class EdgeChannel {
  private readonly requestChannel: string;

  constructor(
    private readonly redis: Redis,
    ns: string,
  ) {
    this.requestChannel = `${adapterKey(ns)}-request#${CHAT_NAMESPACE_PATH}#`;
  }

  /** Publishes deliveries to all edges; resolves with the number of edges that heard them. */
  async deliver(envelopes: DeliveryEnvelope[]): Promise<number> {
    if (envelopes.length === 0) return 0;
    const request = JSON.stringify({ uid: 'fanout', type: SERVER_SIDE_EMIT, data: [InternalEvents.deliver, envelopes] });
    return this.redis.publish(this.requestChannel, request);
  }
}

export function userRoom(userId: string): string {
  return `user:${userId}`;
}
