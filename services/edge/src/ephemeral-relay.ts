import type { DeliveryEnvelope } from '@chat/contracts';
import { type EdgeChannel, type Presence, shareByEdge } from '@chat/delivery';

/**
 * Hands events that are neither stored nor parked (typing, presence) to the edges holding their online
 * recipients, straight from this edge: the same per-edge channels fanout uses, without the broker or the
 * store. Offline recipients get nothing; an edge that misses one (it was restarting) loses it, which is
 * what these events may do.
 */
export class EphemeralRelay {
  constructor(
    private readonly presence: Pick<Presence, 'whereOnline'>,
    private readonly channel: Pick<EdgeChannel, 'deliver'>,
  ) {}

  async send(env: DeliveryEnvelope): Promise<void> {
    const recipients = env.userIds ?? (env.userId ? [env.userId] : []);
    if (recipients.length === 0) return;
    const where = await this.presence.whereOnline(recipients);
    if (where.size === 0) return;
    await this.channel.deliver(shareByEdge([env], where));
  }
}
