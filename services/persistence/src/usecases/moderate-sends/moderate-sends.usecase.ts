import { createHash } from 'node:crypto';
import {
  RoutingKeys,
  type EditMessageCommand,
  type MessageChangedEvent,
  type MessageRejectedEvent,
  type RoomCommand,
  type SendMessageCommand,
} from '@chat/contracts';
import { replyExcerpt } from '@chat/domain';
import type { StoredVerdict } from '@chat/store';
import type { HookAnswer, ModerationItem } from '../../moderation-hook';
import type { RoomOutcome } from '../room-outcome';

export type ModerationAction = 'allow' | 'reject' | 'redact';
/** hook: its answer; stored: decided before (a stored verdict, or the message already stored); unavailable: MODERATION_FAILURE. */
export type VerdictSource = 'hook' | 'stored' | 'unavailable';

/** The reason a message gets under MODERATION_FAILURE=closed while the hook does not answer. */
export const UNAVAILABLE_REASON = 'moderation_unavailable';

export interface ModerationPorts {
  hook: { judge(items: ModerationItem[]): Promise<HookAnswer> };
  verdicts: { find(ids: string[]): Promise<Map<string, StoredVerdict>>; record(v: StoredVerdict[]): Promise<void> };
  /** Which of these messages are stored already (a redelivery of one let through before). */
  storedIds(ids: string[]): Promise<Set<string>>;
  /** Which of these edits are applied already (a redelivery of one let through before), by editKey. */
  appliedEdits(edits: EditMessageCommand[]): Promise<Set<string>>;
  /** Told of every request's answer and every message's verdict (metrics, logs, the /admin report). */
  observe: { answered(a: HookAnswer): void; decided(action: ModerationAction, source: VerdictSource): void };
}

interface Decision {
  action: ModerationAction;
  source: VerdictSource;
  reason?: string;
  content?: string;
}

/**
 * The moderation hook in front of the store (used only when MODERATION_URL is set). Each batch's new
 * messages go to the hook in one request, before any takes a seq: a rejected message is never stored,
 * takes no seq (so no reader sees a gap) and only its sender hears of it; a redacted one is stored and
 * delivered with the hook's content. The other commands pass through untouched, in the batch's order.
 *
 * A verdict is final: rejections and redactions are stored before the batch goes on, and a stored verdict
 * wins over what the hook says when the command comes again (a redelivery, a resend). A message already
 * stored wins over a later rejection or redaction (everyone may have it). A message let through leaves no
 * verdict: if it comes again the stored message answers for it.
 *
 * Edits are moderated alike, in the same request: a rejected edit is not applied and its author gets the
 * refusal (MODERATION_REJECTED, the reason as its message); a redacted one is applied with the hook's content.
 */
export class ModerateSendsUseCase {
  constructor(
    private readonly apply: { execute(commands: RoomCommand[]): Promise<RoomOutcome[]> },
    private readonly ports: ModerationPorts,
    private readonly failure: 'open' | 'closed',
  ) {}

  async execute(commands: RoomCommand[]): Promise<RoomOutcome[]> {
    const sends = new Map<string, SendMessageCommand>();
    const edits = new Map<string, EditMessageCommand>();
    for (const c of commands) {
      if (c.type === RoutingKeys.messageSend && !sends.has(c.message.id)) sends.set(c.message.id, c);
      else if (c.type === RoutingKeys.messageEdit && !edits.has(editKey(c))) edits.set(editKey(c), c);
    }
    if (sends.size === 0 && edits.size === 0) return this.apply.execute(commands);

    const decisions = await this.decide([...sends.values()], edits);
    const out: RoomOutcome[] = new Array<RoomOutcome>(commands.length).fill(null);
    const passed: RoomCommand[] = [];
    const at: number[] = [];
    const told = new Set<string>();
    commands.forEach((c, i) => {
      if (c.type === RoutingKeys.messageEdit) {
        const d = decisions.get(editKey(c))!;
        if (d.action === 'reject') {
          out[i] = refusedEdit(c, d.reason ?? UNAVAILABLE_REASON);
          return;
        }
        passed.push(d.action === 'redact' && d.content !== undefined ? { ...c, content: d.content } : c);
        at.push(i);
        return;
      }
      if (c.type !== RoutingKeys.messageSend) {
        passed.push(c);
        at.push(i);
        return;
      }
      const d = decisions.get(c.message.id)!;
      if (d.action === 'reject') {
        out[i] = rejected(c, d.reason ?? UNAVAILABLE_REASON, d.source === 'stored' || told.has(c.message.id));
        told.add(c.message.id);
        return;
      }
      passed.push(this.rewrite(c, d, decisions));
      at.push(i);
    });
    if (passed.length > 0) (await this.apply.execute(passed)).forEach((ev, k) => (out[at[k]] = ev));
    return out;
  }

  /**
   * Each message's and edit's verdict (edits by editKey): stored, else the hook's, else MODERATION_FAILURE's;
   * new rejections and redactions stored.
   */
  private async decide(sends: SendMessageCommand[], edits: Map<string, EditMessageCommand>): Promise<Map<string, Decision>> {
    const ids = sends.map((c) => c.message.id);
    const keys = [...ids, ...edits.keys()];
    // the messages replies answer: one rejected or redacted earlier changes what the reply shows of it
    const targets = sends.flatMap((c) => (c.message.replyTo && !ids.includes(c.message.replyTo.id) ? [c.message.replyTo.id] : []));
    // the stored verdicts are read while the hook thinks: a batch waits for the slower of the two
    const items = [...sends.map(itemOf), ...[...edits].map(([key, c]) => editItemOf(key, c))];
    const [stored, answer] = await Promise.all([this.ports.verdicts.find([...keys, ...targets]), this.ports.hook.judge(items)]);
    this.ports.observe.answered(answer);

    const decisions = new Map<string, Decision>();
    for (const id of keys) {
      const s = stored.get(id);
      if (s) {
        decisions.set(id, { action: s.action, source: 'stored', reason: s.reason ?? undefined, content: s.content ?? undefined });
        continue;
      }
      const v = answer.ok ? answer.verdicts.get(id) : undefined;
      if (v) decisions.set(id, { ...v, source: 'hook' });
      else if (this.failure === 'open') decisions.set(id, { action: 'allow', source: 'unavailable' });
      else decisions.set(id, { action: 'reject', source: 'unavailable', reason: UNAVAILABLE_REASON });
    }

    const isFresh = (key: string) => {
      const d = decisions.get(key)!;
      return d.action !== 'allow' && d.source !== 'stored';
    };
    const fresh = sends.filter((c) => isFresh(c.message.id));
    const freshEdits = [...edits].filter(([key]) => isFresh(key));
    if (fresh.length > 0 || freshEdits.length > 0) {
      // what is stored already (a message, or an edit applied) wins: everyone may have it
      const [already, applied] = await Promise.all([
        fresh.length > 0 ? this.ports.storedIds(fresh.map((c) => c.message.id)) : new Set<string>(),
        freshEdits.length > 0 ? this.ports.appliedEdits(freshEdits.map(([, c]) => c)) : new Set<string>(),
      ]);
      for (const id of [...already, ...applied]) decisions.set(id, { action: 'allow', source: 'stored' });
      const verdictOf = (key: string, roomId: string, senderId: string): StoredVerdict => {
        const d = decisions.get(key)!;
        return {
          messageId: key,
          roomId,
          senderId,
          action: d.action as 'reject' | 'redact',
          reason: d.action === 'reject' ? (d.reason ?? UNAVAILABLE_REASON) : null,
          content: d.action === 'redact' ? (d.content ?? null) : null,
          source: d.source === 'unavailable' ? 'unavailable' : 'hook',
        };
      };
      await this.ports.verdicts.record([
        ...fresh.filter((c) => !already.has(c.message.id)).map((c) => verdictOf(c.message.id, c.message.roomId, c.message.senderId)),
        ...freshEdits.filter(([key]) => !applied.has(key)).map(([key, c]) => verdictOf(key, c.roomId, c.actorId)),
      ]);
    }
    for (const d of decisions.values()) this.ports.observe.decided(d.action, d.source);
    // reply targets decided earlier, for rewrite(); not counted again
    for (const [id, s] of stored)
      if (!decisions.has(id)) decisions.set(id, { action: s.action, source: 'stored', content: s.content ?? undefined });
    return decisions;
  }

  /** The command as it is stored: the redacted content, and a reply showing nothing it must not of the message it answers. */
  private rewrite(c: SendMessageCommand, d: Decision, decisions: Map<string, Decision>): SendMessageCommand {
    const target = c.message.replyTo ? decisions.get(c.message.replyTo.id) : undefined;
    if (d.action !== 'redact' && (!target || target.action === 'allow')) return c;
    const message = { ...c.message };
    if (d.action === 'redact' && d.content !== undefined) message.content = d.content;
    if (message.replyTo && target && target.action !== 'allow')
      message.replyTo = { ...message.replyTo, excerpt: target.action === 'redact' && target.content ? replyExcerpt(target.content) : null };
    return { ...c, message };
  }
}

function itemOf(c: SendMessageCommand): ModerationItem {
  const m = c.message;
  return {
    id: m.id,
    roomId: m.roomId,
    senderId: m.senderId,
    receiverId: m.receiverId,
    ...(m.groupId ? { groupId: m.groupId } : {}),
    content: m.content,
    clientMsgId: m.clientMsgId ?? null,
    createdAt: m.createdAt,
    ...(m.replyTo ? { replyToId: m.replyTo.id } : {}),
  };
}

/**
 * An edit's key for the hook and the stored verdicts: the same for a redelivery of the command, different for
 * any other edit (the edge stamps requestedAt; the correlation id may come from the client, so it is not used).
 */
export function editKey(c: EditMessageCommand): string {
  const digest = createHash('sha256').update(`${c.messageId}\n${c.requestedAt}\n${c.content}`).digest('hex');
  return `${c.messageId}.edit.${digest.slice(0, 16)}`;
}

/** What the hook is shown of an edit: its new content, and which message it changes (no receiverId). */
function editItemOf(key: string, c: EditMessageCommand): ModerationItem {
  return {
    id: key,
    editOf: c.messageId,
    roomId: c.roomId,
    senderId: c.actorId,
    content: c.content,
    clientMsgId: null,
    createdAt: c.requestedAt,
  };
}

/** A rejected edit: not applied; its author alone hears of it (edit_message_status with the hook's reason). */
function refusedEdit(c: EditMessageCommand, reason: string): MessageChangedEvent {
  return {
    type: RoutingKeys.messageChanged,
    correlationId: c.correlationId,
    change: 'edited',
    messageId: c.messageId,
    roomId: c.roomId,
    actorId: c.actorId,
    peerId: null,
    outcome: 'refused',
    error: { code: 'MODERATION_REJECTED', message: reason },
  };
}

function rejected(c: SendMessageCommand, reason: string, replay: boolean): MessageRejectedEvent {
  const m = c.message;
  return {
    type: RoutingKeys.messageRejected,
    correlationId: c.correlationId,
    messageId: m.id,
    roomId: m.roomId,
    senderId: m.senderId,
    clientMsgId: m.clientMsgId ?? null,
    ...(m.groupId ? { groupId: m.groupId } : {}),
    reason,
    replay,
  };
}
