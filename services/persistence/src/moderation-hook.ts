import { MAX_CONTENT_LENGTH } from '@chat/contracts';
import { signOutbound } from '@chat/delivery';

/** What the hook is shown of one new message, or of an edit's new content (`editOf`: the message edited; no receiverId). */
export interface ModerationItem {
  id: string;
  roomId: string;
  senderId: string;
  receiverId?: string;
  editOf?: string;
  groupId?: string;
  content: string;
  clientMsgId: string | null;
  createdAt: string;
  replyToId?: string;
}

export type HookVerdict = { action: 'allow' } | { action: 'reject'; reason: string } | { action: 'redact'; content: string };

/** The hook's usable verdicts by message id, or why there are none. */
export type HookAnswer =
  { ok: true; verdicts: Map<string, HookVerdict>; ms: number } | { ok: false; failure: 'timeout' | 'error'; detail: string; ms: number };

/** Longest rejection reason passed on to the sender. */
export const MAX_REASON_LENGTH = 200;
export const DEFAULT_REASON = 'rejected';

/**
 * The moderation service over HTTP: one POST per batch, `{ messages }` in, `{ verdicts: [{ id, action,
 * reason?, content? }] }` out, within the deadline. Never throws: a hook that does not answer, answers
 * an error status, or answers something else is a failed answer, and the caller applies MODERATION_FAILURE.
 * A verdict it cannot use (an unknown action, a redaction without valid content) is left out, so only that
 * message falls to the failure rule.
 */
export class HttpModerationHook {
  constructor(
    private readonly url: string,
    private readonly timeoutMs: number,
    private readonly fetchFn: typeof fetch = fetch,
    /** MODERATION_SECRET: each request signed as webhooks are, so the hook can tell it comes from here. */
    private readonly secret?: string,
  ) {}

  async judge(messages: ModerationItem[]): Promise<HookAnswer> {
    const t0 = performance.now();
    const ms = () => performance.now() - t0;
    try {
      const body = JSON.stringify({ messages });
      const headers: Record<string, string> = { 'content-type': 'application/json', accept: 'application/json' };
      if (this.secret) {
        const timestamp = Math.floor(Date.now() / 1000);
        headers['x-chat-timestamp'] = String(timestamp);
        headers['x-chat-signature'] = signOutbound(this.secret, timestamp, body);
      }
      const res = await this.fetchFn(this.url, {
        method: 'POST',
        headers,
        body,
        signal: AbortSignal.timeout(this.timeoutMs),
      });
      if (!res.ok) {
        await res.body?.cancel().catch(() => undefined);
        return { ok: false, failure: 'error', detail: `status ${res.status}`, ms: ms() };
      }
      const verdicts = parseVerdicts(await res.json());
      if (!verdicts) return { ok: false, failure: 'error', detail: 'the answer has no verdicts array', ms: ms() };
      return { ok: true, verdicts, ms: ms() };
    } catch (err) {
      const e = err as Error;
      const timeout = e.name === 'TimeoutError' || e.name === 'AbortError';
      return {
        ok: false,
        failure: timeout ? 'timeout' : 'error',
        detail: timeout ? `no answer in ${this.timeoutMs} ms` : e.message,
        ms: ms(),
      };
    }
  }
}

/** The usable verdicts of an answer (the first for an id that appears twice); null when it is not `{ verdicts: [] }`. */
export function parseVerdicts(body: unknown): Map<string, HookVerdict> | null {
  const list = (body as { verdicts?: unknown } | null)?.verdicts;
  if (!Array.isArray(list)) return null;
  const out = new Map<string, HookVerdict>();
  for (const raw of list) {
    const v = raw as { id?: unknown; action?: unknown; reason?: unknown; content?: unknown } | null;
    if (!v || typeof v.id !== 'string' || out.has(v.id)) continue;
    if (v.action === 'allow') out.set(v.id, { action: 'allow' });
    else if (v.action === 'reject') out.set(v.id, { action: 'reject', reason: reasonOf(v.reason) });
    else if (
      v.action === 'redact' &&
      typeof v.content === 'string' &&
      v.content.trim().length > 0 &&
      v.content.length <= MAX_CONTENT_LENGTH
    )
      out.set(v.id, { action: 'redact', content: v.content });
  }
  return out;
}

function reasonOf(raw: unknown): string {
  if (typeof raw !== 'string' || raw.trim().length === 0) return DEFAULT_REASON;
  // cut on a code point boundary, within the length the fanout's check allows
  let out = '';
  for (const ch of raw.trim()) {
    if (out.length + ch.length > MAX_REASON_LENGTH) break;
    out += ch;
  }
  return out;
}
