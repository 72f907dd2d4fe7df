import { createHash } from 'node:crypto';
import type { PushWindow, WhereOnline } from '@chat/delivery';

/** Most characters of a message's text a push carries. */
export const PREVIEW_MAX = 100;

/** What the push gateway receives, once per (user, room) window. */
export interface PushBody {
  userId: string;
  roomId: string;
  /** The newest message of the window, and its sender. */
  messageId: string;
  senderId: string;
  /** Messages the window collected. */
  count: number;
  /** The newest message's first characters; absent when the user turned previews off or it was deleted. */
  preview?: string;
}

export interface SendPushPorts {
  presence: WhereOnline;
  /** RoomSettingsStore.mutedAmong. */
  mutes: { mutedAmong(roomId: string, userIds: string[], at?: Date): Promise<Set<string>> };
  /** UserSettingsStore.get. */
  settings: { get(userId: string): Promise<{ pushPreview: boolean }> };
  /** The stored text of a message; null when it is gone or deleted. */
  contentOf(messageId: string): Promise<string | null>;
  /** OutboundQueue.add: signs, sends and retries. */
  outbound: { add(deliveries: Array<{ kind: 'push'; url: string; deliveryId: string; body: unknown }>): Promise<void> };
}

export type PushOutcome = 'sent' | 'muted' | 'online';

/**
 * Turns a closed window into one push: none while the user is online again (the messages were or will be
 * handed over live or by the connect-time sync) or has the room muted; otherwise the newest message, the
 * count, and a preview only if the user allows it (with previews off no text is even read).
 */
export class SendPushUseCase {
  constructor(
    private readonly ports: SendPushPorts,
    private readonly url: string,
    private readonly now: () => Date = () => new Date(),
  ) {}

  async fire(w: PushWindow): Promise<PushOutcome> {
    const newest = w.messages[w.messages.length - 1];
    if ((await this.ports.presence.whereOnline([w.userId])).has(w.userId)) return 'online';
    if ((await this.ports.mutes.mutedAmong(w.roomId, [w.userId], this.now())).has(w.userId)) return 'muted';
    const { pushPreview } = await this.ports.settings.get(w.userId);
    const content = pushPreview ? await this.ports.contentOf(newest.messageId) : null;
    const body: PushBody = {
      userId: w.userId,
      roomId: w.roomId,
      messageId: newest.messageId,
      senderId: newest.senderId,
      count: w.messages.length,
      ...(content ? { preview: excerpt(content) } : {}),
    };
    await this.ports.outbound.add([{ kind: 'push', url: this.url, deliveryId: pushDeliveryId(w), body }]);
    return 'sent';
  }
}

/** The same window fired again (a retried job) is the same delivery, so the gateway can drop the repeat. */
export function pushDeliveryId(w: PushWindow): string {
  const ids = w.messages.map((m) => m.messageId).join(',');
  return createHash('sha256').update(`push|${w.userId}|${w.roomId}|${ids}`).digest('hex').slice(0, 32);
}

/** The first PREVIEW_MAX characters (whole code points, so no emoji is cut in half). */
export function excerpt(content: string): string {
  const points = Array.from(content);
  return points.length <= PREVIEW_MAX ? content : `${points.slice(0, PREVIEW_MAX).join('')}…`;
}
