import type { Redis } from 'ioredis';
import type { MessageView } from '@chat/contracts';
import type { AcceptedLog } from './usecases/ports';

/**
 * Remembers each accepted message for a few minutes: a resend of the same clientMsgId on any edge is
 * answered with the first message without publishing again, and an edit that follows a send at once can
 * tell "still in flight" from "no such message". After the TTL a resend is still stored and delivered once
 * (the derived id de-duplicates it downstream); only its answer then carries the resent content.
 */
export class RedisAcceptedLog implements AcceptedLog {
  constructor(
    private readonly redis: Redis,
    private readonly ns: string,
    private readonly ttlSeconds = 300,
  ) {}

  private key(id: string): string {
    return `${this.ns}:accepted:${id}`;
  }

  async get(id: string): Promise<MessageView | null> {
    const raw = await this.redis.get(this.key(id));
    return raw ? (JSON.parse(raw) as MessageView) : null;
  }

  async remember(m: MessageView): Promise<MessageView> {
    const set = await this.redis.set(this.key(m.id), JSON.stringify(m), 'EX', this.ttlSeconds, 'NX');
    if (set === 'OK') return m;
    return (await this.get(m.id)) ?? m;
  }
}
