import { RoutingKeys, type FanoutEvent, type RoomCommand, type SendMessageCommand } from '@chat/contracts';
import type { StoredVerdict } from '@chat/store';
import type { HookAnswer, HookVerdict, ModerationItem } from '../../moderation-hook';
import { ModerateSendsUseCase, UNAVAILABLE_REASON, type ModerationPorts } from './moderate-sends.usecase';

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
const edit = (n: number): RoomCommand => ({
  type: RoutingKeys.messageEdit,
  correlationId: `e${n}`,
  messageId: id(n),
  roomId: ROOM,
  actorId: A,
  content: 'changed',
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

function setup(o: { hook?: (items: ModerationItem[]) => HookAnswer; failure?: 'open' | 'closed'; storedMessages?: string[] } = {}) {
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

const down: HookAnswer = { ok: false, failure: 'timeout', detail: 'no answer', ms: 2000 };

describe('ModerateSendsUseCase', () => {
  it('asks the hook once per batch about its new messages, and passes the other commands through in order', async () => {
    const s = setup();
    const batch = [send(1, 'hi'), edit(1), send(2, 'there')];
    const out = await s.uc.execute(batch);
    expect(s.asked).toHaveLength(1);
    expect(s.asked[0].map((m) => m.content)).toEqual(['hi', 'there']);
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
    let mood: 'strict' | 'lenient' = 'strict';
    const s = setup({
      hook: (items) => ({
        ok: true,
        ms: 1,
        verdicts: new Map(items.map((m) => [m.id, mood === 'strict' ? { action: 'reject', reason: 'spam' } : { action: 'allow' }])),
      }),
    });
    await s.uc.execute([send(1, 'anything')]);
    mood = 'lenient';
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

  it('a batch without new messages does not ask the hook', async () => {
    const s = setup();
    await s.uc.execute([edit(1)]);
    expect(s.asked).toEqual([]);
  });
});
