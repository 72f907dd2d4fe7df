import { RoutingKeys, type EditMessageCommand, type FanoutEvent, type RoomCommand, type SendMessageCommand } from '@chat/contracts';
import type { StoredVerdict } from '@chat/store';
import type { HookAnswer, HookVerdict, ModerationItem } from '../../moderation-hook';
import { editKey, ModerateSendsUseCase, UNAVAILABLE_REASON, type ModerationPorts } from './moderate-sends.usecase';

const ROOM = 'c'.repeat(24);
const A = 'a'.repeat(24);
const B = 'b'.repeat(24);
const id = (n: number) => n.toString(16).padStart(24, '0');

function send(n: number, content: string, replyTo?: number): SendMessageCommand {
  return {
    type: RoutingKeys.messageSend,
    correlationId: `c${n}`,
    message: {
      id: id(n),
      roomId: ROOM,
      senderId: A,
      receiverId: B,
      content,
      clientMsgId: `m${n}`,
      createdAt: new Date(0).toISOString(),
      ...(replyTo !== undefined ? { replyTo: { id: id(replyTo), senderId: A, excerpt: `excerpt of ${replyTo}` } } : {}),
    },
  };
}
const edit = (n: number, content = 'changed', at = 0): EditMessageCommand => ({
  type: RoutingKeys.messageEdit,
  correlationId: `e${n}`,
  messageId: id(n),
  roomId: ROOM,
  actorId: A,
  content,
  requestedAt: new Date(at).toISOString(),
});
const del = (n: number): RoomCommand => ({
  type: RoutingKeys.messageDelete,
  correlationId: `d${n}`,
  messageId: id(n),
  roomId: ROOM,
  actorId: A,
  requestedAt: new Date(0).toISOString(),
});

/** The hook as content rules: "bad…" rejected, "redact…" redacted, anything else let through. */
const byContent = (items: ModerationItem[]): HookAnswer => ({
  ok: true,
  ms: 5,
  verdicts: new Map(
    items.map((m): [string, HookVerdict] => [
      m.id,
      m.content.startsWith('bad')
        ? { action: 'reject', reason: 'spam' }
        : m.content.startsWith('redact')
          ? { action: 'redact', content: '[removed]' }
          : { action: 'allow' },
    ]),
  ),
});

function setup(
  o: {
    hook?: (items: ModerationItem[]) => HookAnswer;
    failure?: 'open' | 'closed';
    storedMessages?: string[];
    appliedEdits?: string[];
  } = {},
) {
  const verdicts = new Map<string, StoredVerdict>();
  const asked: ModerationItem[][] = [];
  const applied: RoomCommand[][] = [];
  const decided: string[] = [];
  const ports: ModerationPorts = {
    hook: { judge: async (items) => (asked.push(items), (o.hook ?? byContent)(items)) },
    verdicts: {
      find: async (ids) => new Map([...verdicts].filter(([k]) => ids.includes(k))),
      record: async (list) => list.forEach((v) => verdicts.has(v.messageId) || verdicts.set(v.messageId, v)),
    },
    storedIds: async (ids) => new Set(ids.filter((i) => (o.storedMessages ?? []).includes(i))),
    appliedEdits: async (edits) => new Set(edits.map(editKey).filter((k) => (o.appliedEdits ?? []).includes(k))),
    observe: { answered: () => undefined, decided: (action, source) => decided.push(`${action}/${source}`) },
  };
  const inner = {
    execute: async (commands: RoomCommand[]) => {
      applied.push(commands);
      return commands.map((c) => ({ type: 'stored', command: c }) as unknown as FanoutEvent);
    },
  };
  const uc = new ModerateSendsUseCase(inner, ports, o.failure ?? 'open');
  return { uc, verdicts, asked, applied, decided };
}

/** A hook that rejects everything as spam until it is made lenient, then allows everything. */
function changingHook(): { answer: (items: ModerationItem[]) => HookAnswer; lenient: boolean } {
  const h = {
    lenient: false,
    answer: (items: ModerationItem[]): HookAnswer => ({
      ok: true,
      ms: 1,
      verdicts: new Map(items.map((m) => [m.id, h.lenient ? { action: 'allow' } : { action: 'reject', reason: 'spam' }])),
    }),
  };
  return h;
}

const down: HookAnswer = { ok: false, failure: 'timeout', detail: 'no answer', ms: 2000 };

describe('ModerateSendsUseCase', () => {
  it('asks the hook once per batch about its new messages and edits, and passes the other commands through in order', async () => {
    const s = setup();
    const batch = [send(1, 'hi'), edit(1), del(1), send(2, 'there')];
    const out = await s.uc.execute(batch);
    expect(s.asked).toHaveLength(1);
    expect(s.asked[0].map((m) => m.content)).toEqual(['hi', 'there', 'changed']);
    // an edit is shown with the message it changes, under a key of its own
    expect(s.asked[0][2]).toEqual({
      id: editKey(edit(1)),
      editOf: id(1),
      roomId: ROOM,
      senderId: A,
      content: 'changed',
      clientMsgId: null,
      createdAt: new Date(0).toISOString(),
    });
    expect(s.applied).toEqual([batch]);
    expect(out.map((e) => (e as unknown as { command: RoomCommand }).command)).toEqual(batch);
  });

  it('a rejected message is never stored: its sender gets message.rejected with its clientMsgId and the reason', async () => {
    const s = setup();
    const out = await s.uc.execute([send(1, 'fine'), send(2, 'bad words'), send(3, 'fine too')]);
    expect(s.applied[0].map((c) => (c as SendMessageCommand).message.id)).toEqual([id(1), id(3)]);
    expect(out[1]).toEqual({
      type: RoutingKeys.messageRejected,
      correlationId: 'c2',
      messageId: id(2),
      roomId: ROOM,
      senderId: A,
      clientMsgId: 'm2',
      reason: 'spam',
      replay: false,
    });
    expect(s.verdicts.get(id(2))).toMatchObject({ action: 'reject', reason: 'spam', source: 'hook' });
  });

  it('a redacted message is stored with the hook’s content, and a reply to it shows an excerpt of that', async () => {
    const s = setup();
    await s.uc.execute([send(1, 'redact me'), send(2, 'a reply', 1)]);
    const [stored, reply] = s.applied[0] as SendMessageCommand[];
    expect(stored.message.content).toBe('[removed]');
    expect(reply.message.replyTo?.excerpt).toBe('[removed]');
    expect(s.verdicts.get(id(1))).toMatchObject({ action: 'redact', content: '[removed]' });
  });

  it('a reply to a message rejected earlier carries no excerpt of it', async () => {
    const s = setup();
    await s.uc.execute([send(1, 'bad one')]);
    await s.uc.execute([send(2, 'a reply', 1)]);
    expect((s.applied[0][0] as SendMessageCommand).message.replyTo).toEqual({ id: id(1), senderId: A, excerpt: null });
  });

  it('a stored verdict wins when the command comes again, whatever the hook now says', async () => {
    const hook = changingHook();
    const s = setup({ hook: hook.answer });
    await s.uc.execute([send(1, 'anything')]);
    hook.lenient = true;
    const again = await s.uc.execute([send(1, 'anything')]);
    expect(again[0]).toMatchObject({ type: RoutingKeys.messageRejected, reason: 'spam', replay: true });
    expect(s.applied).toEqual([]);
    expect(s.decided).toEqual(['reject/hook', 'reject/stored']);
  });

  it('a message already stored wins over a later rejection: it stays, and no verdict is kept', async () => {
    const s = setup({ storedMessages: [id(1)] });
    const out = await s.uc.execute([send(1, 'bad, but delivered before')]);
    expect(out[0]).toMatchObject({ type: 'stored' });
    expect(s.verdicts.size).toBe(0);
    expect(s.decided).toEqual(['allow/stored']);
  });

  it('open: a hook that does not answer lets the batch through, and nothing is stored as a verdict', async () => {
    const s = setup({ hook: () => down });
    const out = await s.uc.execute([send(1, 'bad words')]);
    expect(out[0]).toMatchObject({ type: 'stored' });
    expect(s.verdicts.size).toBe(0);
    expect(s.decided).toEqual(['allow/unavailable']);
  });

  it('closed: a hook that does not answer rejects the batch as moderation_unavailable, for good', async () => {
    const s = setup({ hook: () => down, failure: 'closed' });
    const out = await s.uc.execute([send(1, 'hello')]);
    expect(out[0]).toMatchObject({ type: RoutingKeys.messageRejected, reason: UNAVAILABLE_REASON });
    expect(s.verdicts.get(id(1))).toMatchObject({ action: 'reject', source: 'unavailable' });
  });

  it('a message the answer leaves out falls to MODERATION_FAILURE alone', async () => {
    const s = setup({ failure: 'closed', hook: (items) => ({ ok: true, ms: 1, verdicts: new Map([[items[0].id, { action: 'allow' }]]) }) });
    const out = await s.uc.execute([send(1, 'judged'), send(2, 'left out')]);
    expect(out[0]).toMatchObject({ type: 'stored' });
    expect(out[1]).toMatchObject({ type: RoutingKeys.messageRejected, reason: UNAVAILABLE_REASON });
  });

  it('a batch without new messages or edits does not ask the hook', async () => {
    const s = setup();
    await s.uc.execute([del(1)]);
    expect(s.asked).toEqual([]);
  });

  it('a rejected edit is not applied: its author alone is told, MODERATION_REJECTED with the reason; the verdict is kept', async () => {
    const s = setup();
    const out = await s.uc.execute([edit(1, 'bad words'), edit(2, 'fine')]);
    expect(s.applied).toEqual([[edit(2, 'fine')]]);
    expect(out[0]).toEqual({
      type: RoutingKeys.messageChanged,
      correlationId: 'e1',
      change: 'edited',
      messageId: id(1),
      roomId: ROOM,
      actorId: A,
      peerId: null,
      outcome: 'refused',
      error: { code: 'MODERATION_REJECTED', message: 'spam' },
    });
    expect(s.verdicts.get(editKey(edit(1, 'bad words')))).toMatchObject({ messageId: editKey(edit(1, 'bad words')), action: 'reject' });
  });

  it('a redacted edit is applied with the hook’s content', async () => {
    const s = setup();
    await s.uc.execute([edit(1, 'redact this')]);
    expect(s.applied).toEqual([[{ ...edit(1, 'redact this'), content: '[removed]' }]]);
  });

  it('an edit keeps its verdict when it comes again; another edit of the message is judged afresh', async () => {
    const hook = changingHook();
    const s = setup({ hook: hook.answer });
    await s.uc.execute([edit(1, 'same words', 1000)]);
    hook.lenient = true;
    const out = await s.uc.execute([edit(1, 'same words', 1000), edit(1, 'same words', 2000)]);
    expect(out[0]).toMatchObject({ outcome: 'refused', error: { code: 'MODERATION_REJECTED' } });
    expect(s.applied).toEqual([[edit(1, 'same words', 2000)]]);
  });

  it('an edit already applied wins over a later rejection; closed rejects an edit the hook leaves unjudged', async () => {
    const applied = setup({ appliedEdits: [editKey(edit(1, 'bad, applied before'))] });
    await applied.uc.execute([edit(1, 'bad, applied before')]);
    expect(applied.applied).toEqual([[edit(1, 'bad, applied before')]]);
    expect(applied.verdicts.size).toBe(0);
    const closed = setup({ hook: () => down, failure: 'closed' });
    const out = await closed.uc.execute([edit(1)]);
    expect(out[0]).toMatchObject({ outcome: 'refused', error: { code: 'MODERATION_REJECTED', message: UNAVAILABLE_REASON } });
    const open = setup({ hook: () => down });
    await open.uc.execute([edit(1, 'bad words')]);
    expect(open.applied).toEqual([[edit(1, 'bad words')]]);
  });
});
