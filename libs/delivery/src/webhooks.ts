import { createHash } from 'node:crypto';
import { RoutingKeys, type FanoutEvent, type ReportCommand } from '@chat/contracts';
import type { OutboundDelivery, OutboundQueue } from './outbound';

export type WebhookEventType =
  'message.created' | 'message.updated' | 'message.deleted' | 'message.read' | 'group.updated' | 'report.created';

/** One event in a webhook body `{ events: [...] }`. */
export interface WebhookEvent {
  /** A hash of the fact (what happened to what): the same fact told twice has the same id, so receivers drop repeats. */
  id: string;
  type: WebhookEventType;
  createdAt: string;
  data: Record<string, unknown>;
}

/** A cursor move as the receipts worker applied it. */
export interface ReadMove {
  roomId: string;
  userId: string;
  kind: 'delivered' | 'read';
  from: number;
  to: number;
  at: Date;
  messageId: string | null;
}

function hash(parts: Array<string | number>): string {
  return createHash('sha256').update(parts.join('\n')).digest('hex').slice(0, 32);
}

function event(type: WebhookEventType, fact: Array<string | number>, createdAt: string, data: Record<string, unknown>): WebhookEvent {
  return { id: hash([type, ...fact]), type, createdAt, data };
}

/**
 * The webhook events of a fanout batch: every stored message (a replay too: its id is the same, and it covers
 * a first telling that was lost), every applied edit and delete, every applied group change.
 */
export function fanoutWebhookEvents(batch: FanoutEvent[], now = new Date()): WebhookEvent[] {
  const out: WebhookEvent[] = [];
  for (const e of batch) {
    if (e.type === RoutingKeys.messagePersisted) {
      out.push(event('message.created', [e.message.id], e.message.createdAt, { message: e.message }));
    } else if (e.type === RoutingKeys.messageChanged && e.outcome === 'applied') {
      const common = { messageId: e.messageId, roomId: e.roomId, actorId: e.actorId, ...(e.groupId ? { groupId: e.groupId } : {}) };
      if (e.change === 'edited') {
        const at = e.editedAt ?? now.toISOString();
        out.push(event('message.updated', [e.messageId, at], at, { ...common, content: e.content, editedAt: at }));
      } else {
        const at = e.deletedAt ?? now.toISOString();
        out.push(
          event('message.deleted', [e.messageId], at, { ...common, deletedAt: at, ...(e.deletedBy ? { deletedBy: e.deletedBy } : {}) }),
        );
      }
    } else if (e.type === RoutingKeys.groupChanged && e.outcome === 'applied') {
      // named by what the change was as well as its command's correlation id, which a client may choose and
      // reuse (a redelivered command keeps all of these, so it keeps its id)
      const fact = [e.groupId, e.correlationId, e.op, [...e.affected].sort().join(','), e.op === 'rename' ? (e.group?.name ?? '') : ''];
      out.push(
        event('group.updated', fact, e.group?.lastActivityAt ?? now.toISOString(), {
          groupId: e.groupId,
          op: e.op,
          actorId: e.actorId,
          affected: e.affected,
          group: e.group,
        }),
      );
    }
  }
  return out;
}

/** message.read for every read cursor that moved: the reader, the room and the seq read up to. */
export function readWebhookEvents(moves: ReadMove[]): WebhookEvent[] {
  return moves
    .filter((m) => m.kind === 'read' && m.to > m.from)
    .map((m) =>
      event('message.read', [m.roomId, m.userId, m.to], m.at.toISOString(), {
        roomId: m.roomId,
        userId: m.userId,
        upToSeq: m.to,
        messageId: m.messageId,
        readAt: m.at.toISOString(),
      }),
    );
}

/** report.created for a report the edge handed to the room's queue (its id is per reporter and message). */
export function reportWebhookEvent(cmd: ReportCommand): WebhookEvent {
  return event('report.created', [cmd.reportId], cmd.requestedAt, {
    reportId: cmd.reportId,
    messageId: cmd.messageId,
    roomId: cmd.roomId,
    reporterId: cmd.reporterId,
    reason: cmd.reason,
  });
}

/**
 * One delivery per receiver holding the events (repeats of one id dropped). The delivery id is a hash of the
 * event ids, so the same batch queued again is the same delivery, with the same X-Chat-Webhook-Id.
 */
export function webhookDeliveries(urls: string[], events: WebhookEvent[]): OutboundDelivery[] {
  const unique = [...new Map(events.map((e) => [e.id, e])).values()];
  if (unique.length === 0) return [];
  const deliveryId = hash(unique.map((e) => e.id));
  return urls.map((url) => ({ kind: 'webhook' as const, url, deliveryId, body: { events: unique } }));
}

/** Queues webhook events for every receiver in WEBHOOK_URLS (nothing when there are none). */
export class Webhooks {
  private readonly urls: string[];

  /** `urls`: WEBHOOK_URLS as configured (comma-separated). */
  constructor(
    private readonly queue: Pick<OutboundQueue, 'add'>,
    urls: string,
  ) {
    this.urls = urls
      .split(',')
      .map((u) => u.trim())
      .filter((u) => u !== '');
  }

  get enabled(): boolean {
    return this.urls.length > 0;
  }

  async send(events: WebhookEvent[]): Promise<void> {
    if (!this.enabled || events.length === 0) return;
    await this.queue.add(webhookDeliveries(this.urls, events));
  }
}
