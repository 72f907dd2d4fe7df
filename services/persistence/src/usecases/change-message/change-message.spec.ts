import type { DeleteMessageCommand, EditMessageCommand } from '@chat/contracts';
import type { MessageDoc } from '@chat/store';
import { ChangeMessageUseCase, type ChangeStore } from './change-message.usecase';

const A = 'a'.repeat(24);
const B = 'b'.repeat(24);
const ROOM = 'c'.repeat(24);
const MID = 'd'.repeat(24);
const T0 = Date.parse('2026-01-01T00:00:00Z');
const WINDOW = 15 * 60 * 1000;

const msg = (over: Partial<MessageDoc> = {}): MessageDoc =>
  ({
    _id: MID,
    roomId: ROOM,
    seq: 1,
    senderId: A,
    receiverId: B,
    content: 'hi',
    clientMsgId: null,
    createdAt: new Date(T0),
    editedAt: null,
    deletedAt: null,
    ...over,
  }) as unknown as MessageDoc;
const edit = (over: Partial<EditMessageCommand> = {}): EditMessageCommand => ({
  type: 'message.edit.v1',
  correlationId: 'c',
  messageId: MID,
  roomId: ROOM,
  actorId: A,
  content: 'edited',
  requestedAt: new Date(T0 + 1000).toISOString(),
  ...over,
});
const del = (over: Partial<DeleteMessageCommand> = {}): DeleteMessageCommand => ({
  type: 'message.delete.v1',
  correlationId: 'c',
  messageId: MID,
  roomId: ROOM,
  actorId: A,
  requestedAt: new Date(T0 + 1000).toISOString(),
  ...over,
});

describe('ChangeMessageUseCase', () => {
  function store(m: MessageDoc, pinned = false) {
    const calls: string[] = [];
    const s: ChangeStore = {
      findByIds: async () => [m],
      applyEdit: async (_id, content, _at, changedSeq) => void calls.push(`edit:${content}${changedSeq ? `@${changedSeq}` : ''}`),
      applyDelete: async (_id, _at, changedSeq) => {
        calls.push(`delete${changedSeq ? `@${changedSeq}` : ''}`);
        m.deletedAt = new Date();
      },
      updateLastMessage: async () => void calls.push('last'),
      groupMembers: async () => [A, B],
      unpin: async () => {
        const was = pinned;
        pinned = false;
        if (was) calls.push('unpin');
        return was;
      },
    };
    return { s, calls };
  }

  it('applies an edit and tells the peer', async () => {
    const { s, calls } = store(msg());
    const ev = await new ChangeMessageUseCase(s, WINDOW).execute(edit());
    expect(ev).toMatchObject({ outcome: 'applied', change: 'edited', peerId: B, content: 'edited' });
    expect(calls).toEqual(['edit:edited', 'last']);
  });

  it('reports a refusal to the actor only and writes nothing', async () => {
    const { s, calls } = store(msg());
    const ev = await new ChangeMessageUseCase(s, WINDOW).execute(edit({ actorId: B }));
    expect(ev).toMatchObject({ outcome: 'refused', peerId: null, error: { code: 'FORBIDDEN' } });
    expect(calls).toEqual([]);
  });

  it('treats a repeated delete as applied without writing again', async () => {
    const m = msg();
    const { s, calls } = store(m);
    const uc = new ChangeMessageUseCase(s, WINDOW);
    const first = await uc.execute(del());
    const again = await uc.execute(del());
    expect(first.outcome).toBe('applied');
    expect(again.outcome).toBe('applied');
    expect(calls.filter((c) => c === 'delete')).toHaveLength(1);
  });

  it('stamps an applied edit or delete with the room seq it takes, once; a refusal takes none', async () => {
    const m = msg();
    const { s, calls } = store(m);
    let next = 7;
    const stamped: string[] = [];
    const uc = new ChangeMessageUseCase(s, WINDOW, async (room) => (stamped.push(room), next++));
    await uc.execute(edit({ actorId: B })); // refused
    await uc.execute(edit());
    await uc.execute(del());
    await uc.execute(del()); // already deleted: nothing written, no seq taken
    expect(calls).toEqual(['edit:edited@7', 'last', 'delete@8', 'last']);
    expect(stamped).toEqual([ROOM, ROOM]);
  });

  it('takes a deleted message off the pins and says so; an edit leaves them', async () => {
    const { s, calls } = store(msg(), true);
    const uc = new ChangeMessageUseCase(s, WINDOW);
    expect(await uc.execute(edit())).not.toHaveProperty('unpinned');
    expect(await uc.execute(del())).toMatchObject({ outcome: 'applied', unpinned: true });
    expect(await uc.execute(del())).not.toHaveProperty('unpinned');
    expect(calls.filter((c) => c === 'unpin')).toHaveLength(1);
  });
});
