import {
  recipientsOf,
  type DeliveryEnvelope,
  type MessagePersistedEvent,
  type MessageReactedEvent,
  type MessageRejectedEvent,
  type MessageView,
} from '@chat/contracts';
import type { PushItem } from '@chat/delivery';
import { changeEnvelopes, DeliverMessagesUseCase, groupEnvelopes, keyOf, pinEnvelopes } from './deliver-messages.usecase';

const A = 'a'.repeat(24);
const B = 'b'.repeat(24);

function ev(seq: number, senderId = A, receiverId = B): MessagePersistedEvent {
  const message: MessageView = {
    id: seq.toString(16).padStart(24, '0'),
    roomId: 'c'.repeat(24),
    senderId,
    receiverId,
    content: `m${seq}`,
    clientMsgId: null,
    seq,
    status: 'sent',
    createdAt: new Date().toISOString(),
  };
  return { type: 'message.persisted.v1', correlationId: String(seq), message, replay: false };
}

/**
 * `onlineUsers` on edge 'e1' (or on the edges `placed` names); `edgesListening`: the listeners each edge's
 * publish reaches (0: the edge is gone), `dead` edges always 0.
 */
function harness(
  onlineUsers: string[],
  edgesListening = 1,
  groupMembers: string[] = [],
  placed: Record<string, string[]> = {},
  dead: string[] = [],
  blockers: Record<string, string[]> = {},
) {
  const parked = new Map<string, MessageView[]>();
  const parkedEvents = new Map<string, DeliveryEnvelope[]>();
  const delivered: DeliveryEnvelope[] = [];
  const perEdge = new Map<string, DeliveryEnvelope[]>();
  const uc = new DeliverMessagesUseCase(
    { whereOnline: async (ids) => new Map(ids.filter((i) => onlineUsers.includes(i)).map((i) => [i, new Set(placed[i] ?? ['e1'])])) },
    {
      park: async (u, ms) => void parked.set(u, [...(parked.get(u) ?? []), ...ms]),
      parkEvents: async (u, items) => void parkedEvents.set(u, [...(parkedEvents.get(u) ?? []), ...items.map((i) => i.envelope)]),
    },
    {
      deliver: async (shares) => {
        for (const [edge, envs] of shares) {
          delivered.push(...envs);
          perEdge.set(edge, [...(perEdge.get(edge) ?? []), ...envs]);
        }
        return new Map([...shares.keys()].map((edge) => [edge, dead.includes(edge) ? 0 : edgesListening]));
      },
    },
    { membersOf: async (ids) => new Map(ids.map((g) => [g, groupMembers])) },
    { blockersOf: async (ids) => new Map(ids.map((u) => [u, new Set(blockers[u] ?? [])])) },
  );
  return { uc, parked, parkedEvents, delivered, perEdge };
}

describe('DeliverMessagesUseCase', () => {
  it('flags a group message for the members who block its sender only, live and parked', async () => {
    const [C, D, G] = ['c', 'd', 'e'].map((x) => x.repeat(24));
    const h = harness([A, B, C], 1, [A, B, C, D, G], {}, [], { [A]: [B, D] });
    const m = { ...ev(1, A, G), message: { ...ev(1, A, G).message, roomId: G, groupId: G, mentions: [B, C] } };
    await h.uc.execute([m]);
    const live = h.delivered.filter((d) => d.event === 'receive_message');
    const flaggedTo = (list: DeliveryEnvelope[]) =>
      list.flatMap((d) => recipientsOf(d).map((u) => [u, (d.payload as { message: MessageView }).message.blockedSender ?? false]));
    expect(flaggedTo(live).sort()).toEqual([
      [B, true],
      [C, false],
    ]);
    expect(flaggedTo(h.delivered.filter((d) => d.event === 'taggedInMessage')).sort()).toEqual([
      [B, true],
      [C, false],
    ]);
    expect(flaggedTo(h.delivered.filter((d) => d.event === 'message_sent'))).toEqual([[A, false]]);
    expect(h.parked.get(D)!.map((x) => x.blockedSender)).toEqual([true]);
    expect(h.parked.get(G)!.map((x) => x.blockedSender)).toEqual([undefined]);
  });

  it('tells a refused sender alone, parked while it is away', async () => {
    const refused = {
      type: 'message.refused.v1' as const,
      correlationId: 'r',
      messageId: 'f'.repeat(24),
      roomId: 'c'.repeat(24),
      senderId: A,
      clientMsgId: 'c-1',
      error: { code: 'BLOCKED' as const, message: 'no' },
    };
    const h = harness([]);
    await h.uc.execute([refused]);
    expect([...h.parkedEvents.keys()]).toEqual([A]);
    expect(h.parkedEvents.get(A)![0]).toMatchObject({
      event: 'send_message_status',
      payload: { messageId: refused.messageId, clientMsgId: 'c-1', status: 'error', error: { code: 'BLOCKED' } },
    });
  });

  it('tells every member of an operator’s delete, the sender too, with deletedBy and no status reply', () => {
    const base = {
      type: 'message.changed.v1' as const,
      correlationId: 'x',
      change: 'deleted' as const,
      messageId: 'f'.repeat(24),
      roomId: 'c'.repeat(24),
      actorId: 'd'.repeat(24),
      senderId: A,
      peerId: B,
      outcome: 'applied' as const,
      deletedAt: new Date(0).toISOString(),
      deletedBy: 'moderator' as const,
      unpinned: true,
    };
    const out = changeEnvelopes(base);
    expect(out.map((e) => [e.event, recipientsOf(e)])).toEqual([
      ['message_deleted', [A]],
      ['message_deleted', [B]],
      ['message_unpinned', [A, B]],
    ]);
    expect(out[0].payload).toEqual({ messageId: base.messageId, roomId: base.roomId, deletedAt: base.deletedAt, deletedBy: 'moderator' });
    expect(out[2].payload).toEqual({ roomId: base.roomId, messageId: base.messageId, by: 'moderator' });
  });

  it('delivers live to an online receiver and tells the online sender', async () => {
    const h = harness([A, B]);
    const r = await h.uc.execute([ev(1), ev(2)]);
    expect(r).toMatchObject({ live: 2, parked: 0 });
    // each message's trace: handed to the receiver live, through the edge holding it
    expect(r.messages.map((m) => [m.messageId, m.online, m.parked, m.edges])).toEqual([
      [ev(1).message.id, 1, 0, ['e1']],
      [ev(2).message.id, 1, 0, ['e1']],
    ]);
    const line = (d: DeliveryEnvelope) => `${d.event}:${d.userId}:${(d.payload as { message: MessageView }).message.seq}`;
    expect(h.delivered.filter((d) => d.event === 'receive_message').map(line)).toEqual([
      `receive_message:${B}:1`,
      `receive_message:${B}:2`,
    ]);
    expect(h.delivered.filter((d) => d.event === 'message_sent').map(line)).toEqual([`message_sent:${A}:1`, `message_sent:${A}:2`]);
  });

  it('tells only the sender of a rejected message: live while online, parked while away', async () => {
    const rejected: MessageRejectedEvent = {
      type: 'message.rejected.v1',
      correlationId: 'r',
      messageId: 'd'.repeat(24),
      roomId: 'c'.repeat(24),
      senderId: A,
      clientMsgId: 'm1',
      reason: 'spam',
      replay: false,
    };
    const payload = { messageId: 'd'.repeat(24), roomId: 'c'.repeat(24), clientMsgId: 'm1', reason: 'spam' };
    const online = harness([A, B]);
    await online.uc.execute([rejected]);
    expect(online.delivered.map((d) => [d.event, d.userId, d.payload])).toEqual([['message_rejected', A, payload]]);
    const away = harness([B]);
    await away.uc.execute([rejected]);
    expect(away.delivered).toEqual([]);
    expect(away.parkedEvents.get(A)?.map((d) => [d.event, d.payload])).toEqual([['message_rejected', payload]]);
    expect(away.parked.size + (away.parkedEvents.get(B)?.length ?? 0)).toBe(0);
  });

  it('parks in order for an offline receiver', async () => {
    const h = harness([A]);
    const r = await h.uc.execute([ev(1), ev(2), ev(3)]);
    expect(r).toMatchObject({ live: 0, parked: 3 });
    expect(r.messages.map((m) => [m.online, m.parked, m.edges])).toEqual([
      [0, 1, []],
      [0, 1, []],
      [0, 1, []],
    ]);
    expect(h.parked.get(B)!.map((m) => m.seq)).toEqual([1, 2, 3]);
  });

  it('parks when no edge heard the live delivery', async () => {
    const h = harness([A, B], 0);
    const r = await h.uc.execute([ev(1)]);
    expect(r.parked).toBe(1);
    expect(r.messages.map((m) => [m.online, m.parked])).toEqual([[0, 1]]);
    expect(h.parked.get(B)!.map((m) => m.seq)).toEqual([1]);
  });

  it('tells the editor the outcome and the peer the change; parks the change for an offline peer', async () => {
    const ROOM = 'c'.repeat(24);
    const MID = 'd'.repeat(24);
    const changed = {
      type: 'message.changed.v1' as const,
      correlationId: 'x',
      change: 'edited' as const,
      messageId: MID,
      roomId: ROOM,
      actorId: A,
      peerId: B,
      outcome: 'applied' as const,
      content: 'new',
      editedAt: new Date().toISOString(),
    };
    const on = harness([A, B]);
    await on.uc.execute([changed]);
    expect(on.delivered.map((d) => `${d.event}:${d.userId}`)).toEqual([`edit_message_status:${A}`, `message_edited:${B}`]);
    const off = harness([A]);
    await off.uc.execute([changed]);
    expect(off.parkedEvents.get(B)!.map((e) => e.event)).toEqual(['message_edited']);
    const refused = harness([A, B]);
    await refused.uc.execute([{ ...changed, outcome: 'refused', peerId: null, error: { code: 'FORBIDDEN', message: 'no' } }]);
    expect(refused.delivered).toEqual([
      {
        userId: A,
        event: 'edit_message_status',
        correlationId: 'x',
        payload: { messageId: MID, roomId: ROOM, status: 'error', error: { code: 'FORBIDDEN', message: 'no' } },
      },
    ]);
  });

  it('sends an applied reaction to every online member of the room, parks nothing, and a refusal to the actor only', async () => {
    const G = 'e'.repeat(24);
    const C = 'f'.repeat(24);
    const base = { type: 'message.reacted.v1', correlationId: 'r', messageId: 'd'.repeat(24), roomId: G, actorId: A, emoji: '👍' } as const;
    const h = harness([A, B], 1, [A, B, C]);
    const applied: MessageReactedEvent = { ...base, on: true, outcome: 'applied', audience: [], groupId: G, counts: { '👍': 1 } };
    const refused: MessageReactedEvent = {
      ...base,
      on: false,
      outcome: 'refused',
      audience: [],
      error: { code: 'CONFLICT', message: 'x' },
    };
    await h.uc.execute([applied, refused]);
    const reactions = h.delivered.filter((e) => e.event === 'message_reaction');
    expect(reactions.flatMap(recipientsOf).sort()).toEqual([A, B]);
    expect(reactions[0].payload).toEqual({
      messageId: base.messageId,
      roomId: G,
      groupId: G,
      emoji: '👍',
      userId: A,
      on: true,
      counts: { '👍': 1 },
    });
    expect(h.delivered.filter((e) => e.event === 'react_message_status').map((e) => e.userId)).toEqual([A]);
    expect(h.parkedEvents.size).toBe(0);
  });

  it('sends a group message once for all online members, parks it for offline ones, and tags mentions', async () => {
    const [C, D] = ['e'.repeat(24), 'f'.repeat(24)];
    const GROUP = '9'.repeat(24);
    const h = harness([A, B, C], 1, [A, B, C, D]);
    const e = ev(1);
    e.message = { ...e.message, roomId: GROUP, receiverId: GROUP, groupId: GROUP, mentions: [C, D] };
    const r = await h.uc.execute([e]);
    expect(r).toMatchObject({ live: 2, parked: 1 });
    expect(r.messages.map((m) => [m.online, m.parked, m.edges])).toEqual([[2, 1, ['e1']]]);
    const receive = h.delivered.filter((d) => d.event === 'receive_message');
    expect(receive).toHaveLength(1);
    expect(receive[0].userIds).toEqual([B, C]);
    expect(h.parked.get(D)!.map((m) => m.seq)).toEqual([1]);
    expect(h.delivered.filter((d) => d.event === 'taggedInMessage').map(recipientsOf)).toEqual([[C]]);
    expect(h.parkedEvents.get(D)!.map((x) => x.event)).toEqual(['taggedInMessage']);
  });

  it('tells each user invited by a create or add, and only the actor who was invited', () => {
    const GROUP = '9'.repeat(24);
    const [C, D] = ['c'.repeat(24), 'd'.repeat(24)];
    const group = { id: GROUP, name: 'g', createdBy: A, members: [A, B], admins: [A], lastSeq: 0, lastActivityAt: '', createdAt: '' };
    const base = { type: 'group.changed.v1' as const, correlationId: 'x', groupId: GROUP, actorId: A, outcome: 'applied' as const, group };
    const invited = [{ userId: C, inviteId: '1'.repeat(24) }];
    const created = groupEnvelopes({ ...base, op: 'create', previousMembers: [], affected: [A, B], invited });
    expect(created.map((e) => [e.userId, e.event, (e.payload as { invited?: unknown }).invited])).toEqual([
      [A, 'group_updated', invited],
      [B, 'group_updated', undefined],
      [C, 'group_invite', undefined],
    ]);
    expect(created[2].payload).toEqual({ inviteId: '1'.repeat(24), groupId: GROUP, name: 'g', inviterId: A });
    // an add that only invited: the members are told nothing
    const onlyInvited = groupEnvelopes({
      ...base,
      op: 'add',
      previousMembers: [A, B],
      affected: [],
      invited: [{ userId: D, inviteId: '2'.repeat(24) }],
    });
    expect(onlyInvited.map((e) => [e.userId, e.event])).toEqual([
      [A, 'group_updated'],
      [D, 'group_invite'],
    ]);
  });

  it('parks two changes of a group for an offline member as two notices, and a redelivered one as one', async () => {
    const GROUP = '9'.repeat(24);
    const renamed = (correlationId: string, name: string) => ({
      type: 'group.changed.v1' as const,
      correlationId,
      groupId: GROUP,
      actorId: A,
      op: 'rename' as const,
      outcome: 'applied' as const,
      previousMembers: [A, B],
      affected: [],
      group: { id: GROUP, name, createdBy: A, members: [A, B], admins: [A], lastSeq: 0, lastActivityAt: '', createdAt: '' },
    });
    const keys: string[] = [];
    const uc = new DeliverMessagesUseCase(
      { whereOnline: async () => new Map([[A, new Set(['e1'])]]) },
      { park: async () => undefined, parkEvents: async (_u, items) => void keys.push(...items.map((i) => i.key)) },
      { deliver: async (shares) => new Map([...shares.keys()].map((edge) => [edge, 1])) },
      { membersOf: async () => new Map() },
    );
    await uc.execute([renamed('first', 'one'), renamed('second', 'two'), renamed('second', 'two')]);
    expect(new Set(keys).size).toBe(2);
    // a message's edits are told apart by when they were made, not by who carried them
    const edit = (editedAt: string, correlationId: string): DeliveryEnvelope =>
      ({
        userId: B,
        event: 'message_edited',
        correlationId,
        payload: { messageId: 'd'.repeat(24), editedAt },
      }) as DeliveryEnvelope;
    expect(keyOf(edit('t1', 'x'))).toBe(keyOf(edit('t1', 'y')));
    expect(keyOf(edit('t1', 'x'))).not.toBe(keyOf(edit('t2', 'x')));
    expect(keyOf(edit('2026-01-01T00:00:00Z', 'x'))).not.toContain(':');
  });

  it('sends each edge only the users it holds: a group message split by edge, a user on two edges once on each', async () => {
    const [C, D] = ['e'.repeat(24), 'f'.repeat(24)];
    const GROUP = '9'.repeat(24);
    const h = harness([A, B, C, D], 1, [A, B, C, D], { [A]: ['e1'], [B]: ['e1', 'e2'], [C]: ['e2'], [D]: ['e3'] });
    const e = ev(1);
    e.message = { ...e.message, roomId: GROUP, receiverId: GROUP, groupId: GROUP };
    await h.uc.execute([e, ev(2)]);
    const seen = (edge: string) =>
      (h.perEdge.get(edge) ?? []).map(
        (d) => `${d.event}:${recipientsOf(d).join(',')}:${(d.payload as { message: MessageView }).message.seq}`,
      );
    expect(seen('e1')).toEqual([`receive_message:${B}:1`, `receive_message:${B}:2`, `message_sent:${A}:1`, `message_sent:${A}:2`]);
    expect(seen('e2')).toEqual([`receive_message:${B},${C}:1`, `receive_message:${B}:2`]);
    expect(seen('e3')).toEqual([`receive_message:${D}:1`]);
  });

  it('parks for a user whose every edge is gone, not for one another edge of whom heard', async () => {
    const C = 'e'.repeat(24);
    const GROUP = '9'.repeat(24);
    const h = harness([A, B, C], 1, [A, B, C], { [B]: ['gone'], [C]: ['gone', 'e2'] }, ['gone']);
    const e = ev(1);
    e.message = { ...e.message, roomId: GROUP, receiverId: GROUP, groupId: GROUP };
    const r = await h.uc.execute([e]);
    expect(r).toMatchObject({ live: 1, parked: 1 });
    expect(r.messages.map((m) => [m.online, m.parked])).toEqual([[1, 1]]);
    expect([...h.parked.keys()]).toEqual([B]);
  });
});

describe('pin notices', () => {
  const base = {
    type: 'message.pin-changed.v1',
    correlationId: 'p',
    roomId: 'c'.repeat(24),
    messageId: 'd'.repeat(24),
    actorId: A,
  } as const;

  it('tells every member of an applied pin, the actor only of a refused one', () => {
    expect(pinEnvelopes({ ...base, change: 'pinned', outcome: 'applied', members: [A, B] })).toEqual([
      { userIds: [A, B], event: 'message_pinned', payload: { roomId: base.roomId, messageId: base.messageId, by: A } },
    ]);
    const error = { code: 'LIMIT_REACHED' as const, message: 'full' };
    expect(pinEnvelopes({ ...base, change: 'pinned', outcome: 'refused', members: [], error })).toEqual([
      { userId: A, event: 'pin_error', payload: { roomId: base.roomId, messageId: base.messageId, op: 'pin', error } },
    ]);
  });

  it('tells the actor and the peer that a delete unpinned the message', () => {
    const envs = changeEnvelopes({
      type: 'message.changed.v1',
      correlationId: 'd',
      change: 'deleted',
      messageId: base.messageId,
      roomId: base.roomId,
      actorId: A,
      peerId: B,
      outcome: 'applied',
      deletedAt: new Date().toISOString(),
      unpinned: true,
    });
    expect(envs.filter((e) => e.event === 'message_unpinned')).toEqual([
      { userIds: [A, B], event: 'message_unpinned', payload: { roomId: base.roomId, messageId: base.messageId, by: A } },
    ]);
  });

  it('collects for push what was parked: each offline receiver, not the live ones, not a blocked sender’s message to its blocker', async () => {
    const [C, D] = ['e'.repeat(24), 'f'.repeat(24)];
    const GROUP = '9'.repeat(24);
    const collected: PushItem[] = [];
    const uc = new DeliverMessagesUseCase(
      { whereOnline: async () => new Map([[C, new Set(['e1'])]]) },
      { park: async () => undefined, parkEvents: async () => undefined },
      { deliver: async (shares) => new Map([...shares.keys()].map((edge) => [edge, 1])) },
      { membersOf: async () => new Map([[GROUP, [A, B, C, D]]]) },
      { blockersOf: async () => new Map([[A, new Set([D])]]) },
      Date.now,
      { collect: async (items) => void collected.push(...items) },
    );
    const g = ev(2);
    g.message = { ...g.message, roomId: GROUP, receiverId: GROUP, groupId: GROUP };
    await uc.execute([ev(1), g]);
    const room = ev(1).message.roomId;
    expect(collected.map((i) => [i.userId, i.roomId, i.messageId, i.senderId, i.seq])).toEqual([
      [B, room, ev(1).message.id, A, 1],
      [B, GROUP, g.message.id, A, 2],
    ]);
  });
});
