import type { CursorDoc, MessageDoc, RoomScope } from '@chat/store';
import type { Conversations, Cursors, Inbox, Messages } from '../ports';
import { ReadMissedUseCase } from './read-missed.usecase';

const U = 'a'.repeat(24);
const PEER = 'b'.repeat(24);
const QUIET = 'c'.repeat(24);
const NEWS = 'd'.repeat(24);
const scope = (roomId: string) => ({ roomId, userId: U, participants: [U, PEER], kind: 'direct', fromSeq: 0 }) as unknown as RoomScope;

function doc(roomId: string, seq: number): MessageDoc {
  const at = new Date();
  return {
    _id: `${roomId.slice(0, 20)}${String(seq).padStart(4, '0')}` as unknown as MessageDoc['_id'],
    roomId,
    seq,
    senderId: PEER,
    receiverId: U,
    content: `m${seq}`,
    clientMsgId: null,
    createdAt: at,
    editedAt: null,
    deletedAt: null,
  };
}

describe('ReadMissedUseCase', () => {
  it('reads only the rooms with a message from someone else past the user’s cursor', async () => {
    const read: string[] = [];
    const rooms = [
      // everything after seq 7 is the user's own; the peer's last message (seq 7) is already acknowledged
      { scope: scope(QUIET), lastIncomingSeq: 7 },
      // the peer wrote seq 12; the user acknowledged up to 10
      { scope: scope(NEWS), lastIncomingSeq: 12 },
    ];
    const conversations = { roomsWithMessages: async () => rooms } as unknown as Conversations;
    const messages = {
      latestIncoming: async (s: RoomScope, after: number) => {
        read.push(s.roomId);
        return s.roomId === NEWS ? [doc(NEWS, after + 2)] : [];
      },
    } as unknown as Messages;
    const cursors = {
      forUser: async () =>
        new Map<string, CursorDoc>([
          [QUIET, { deliveredSeq: 7, readSeq: 7 } as CursorDoc],
          [NEWS, { deliveredSeq: 10, readSeq: 10 } as CursorDoc],
        ]),
    } as unknown as Cursors;
    const inbox = { peek: async () => ({ messageIds: [], events: [] }) } as unknown as Inbox;

    const sync = await new ReadMissedUseCase(conversations, messages, cursors, inbox, 100).execute(U);

    expect(read).toEqual([NEWS]);
    expect(sync.source).toBe('store');
    expect(sync.messages.map((m) => [m.roomId, m.seq])).toEqual([[NEWS, 12]]);
    // the cursors each socket's ordered delivery uses still cover every room
    expect(sync.cursors).toEqual({ [QUIET]: 7, [NEWS]: 10 });
  });

  it('reads from what the sockets were handed when it is past the cursor; past the limit, hands the newest and names the gap', async () => {
    const reads: Array<[string, number, number | undefined]> = [];
    const rooms = [
      { scope: scope(QUIET), lastIncomingSeq: 30 },
      { scope: scope(NEWS), lastIncomingSeq: 500 },
    ];
    const conversations = { roomsWithMessages: async () => rooms } as unknown as Conversations;
    const messages = {
      latestIncoming: async (s: RoomScope, after: number, limit: number, upto?: number) => {
        reads.push([s.roomId, after, upto]);
        const last = s.roomId === NEWS ? 500 : 30;
        const n = Math.min(limit, last - after);
        return Array.from({ length: n }, (_, i) => doc(s.roomId, last - n + i + 1));
      },
    } as unknown as Messages;
    const cursors = {
      forUser: async () => new Map<string, CursorDoc>([[NEWS, { deliveredSeq: 100, readSeq: 90 } as CursorDoc]]),
    } as unknown as Cursors;
    const inbox = { peek: async () => ({ messageIds: [], events: [] }) } as unknown as Inbox;

    // the sockets were handed NEWS up to 300 (ahead of the stored cursor) and QUIET up to 20
    const sync = await new ReadMissedUseCase(conversations, messages, cursors, inbox, 50).execute(U, { [NEWS]: 300, [QUIET]: 20 });

    // each read stops where the room's summary says it ends (the store reads the room newest first from there)
    expect(reads.sort()).toEqual(
      [
        [QUIET, 20, 30],
        [NEWS, 300, 500],
      ].sort(),
    );
    // QUIET's last 10 fit in one read; NEWS had 200, of which the newest 50 are handed over and the rest is a gap
    expect(sync.gaps).toEqual([{ roomId: NEWS, fromSeq: 301, toSeq: 450 }]);
    expect(sync.messages.filter((m) => m.roomId === NEWS).map((m) => m.seq)).toEqual(Array.from({ length: 50 }, (_, i) => 451 + i));
    expect(sync.messages.filter((m) => m.roomId === QUIET).map((m) => m.seq)).toEqual(Array.from({ length: 10 }, (_, i) => 21 + i));
    expect(sync.cursors).toEqual({ [QUIET]: 20, [NEWS]: 300 });
  });

  it('catches connected sockets up from what they were handed, even behind the user’s cursor (another device acknowledged more)', async () => {
    const reads: Array<[string, number]> = [];
    const conversations = { roomsWithMessages: async () => [{ scope: scope(NEWS), lastIncomingSeq: 12 }] } as unknown as Conversations;
    const messages = {
      latestIncoming: async (s: RoomScope, after: number) => {
        reads.push([s.roomId, after]);
        return Array.from({ length: 12 - after }, (_, i) => doc(s.roomId, after + i + 1));
      },
    } as unknown as Messages;
    // the user's other device acknowledged up to 11; this edge's socket was handed up to 9
    const cursors = {
      forUser: async () => new Map<string, CursorDoc>([[NEWS, { deliveredSeq: 11, readSeq: 0 } as CursorDoc]]),
    } as unknown as Cursors;
    const inbox = { peek: async () => ({ messageIds: [], events: [] }) } as unknown as Inbox;

    const sync = await new ReadMissedUseCase(conversations, messages, cursors, inbox, 100).execute(U, { [NEWS]: 9 });

    expect(reads).toEqual([[NEWS, 9]]);
    expect(sync.messages.map((m) => m.seq)).toEqual([10, 11, 12]);
    expect(sync.cursors).toEqual({ [NEWS]: 9 });
    // a fresh socket (handed nothing) starts from the user's cursor
    reads.length = 0;
    await new ReadMissedUseCase(conversations, messages, cursors, inbox, 100).execute(U);
    expect(reads).toEqual([[NEWS, 11]]);
  });

  it('reads the edits, deletes and reactions past where it starts, only in rooms whose last change is past it, oldest first', async () => {
    const asked: Array<[string, number]> = [];
    const rooms = [
      { scope: scope(QUIET), lastIncomingSeq: 5, lastChangeSeq: 4 }, // its last change is already known
      { scope: scope(NEWS), lastIncomingSeq: 10, lastChangeSeq: 13 },
    ];
    const conversations = { roomsWithMessages: async () => rooms } as unknown as Conversations;
    const messages = {
      latestIncoming: async () => [],
      changedSince: async (s: RoomScope, after: number) => {
        asked.push([s.roomId, after]);
        return [
          { ...doc(NEWS, 9), content: '', deletedAt: new Date('2026-01-01T00:00:02Z'), changedSeq: 13 },
          { ...doc(NEWS, 7), content: 'fixed', editedAt: new Date('2026-01-01T00:00:01Z'), changedSeq: 12 },
        ];
      },
      // reactions to the user's own message count too; one made between the edit and the delete
      reactedSince: async (s: RoomScope, after: number) => {
        asked.push([s.roomId, after]);
        return [{ ...doc(NEWS, 8), senderId: U, reactions: [{ emoji: '👍', userIds: [PEER, U] }], reactedSeq: 12.5 }];
      },
    } as unknown as Messages;
    const cursors = {
      forUser: async () =>
        new Map<string, CursorDoc>([
          [QUIET, { deliveredSeq: 5 } as CursorDoc],
          [NEWS, { deliveredSeq: 10 } as CursorDoc],
        ]),
    } as unknown as Cursors;
    // parked: an older copy of the edit the store gives (left out), and a receipt (kept)
    const parked = [
      { key: 'k1', envelope: { event: 'message_edited', payload: { messageId: String(doc(NEWS, 7)._id), content: 'typo' } } },
      { key: 'k2', envelope: { event: 'message_read_ack', payload: { messageId: String(doc(NEWS, 7)._id) } } },
    ];
    const inbox = { peek: async () => ({ messageIds: [], events: parked }) } as unknown as Inbox;

    const sync = await new ReadMissedUseCase(conversations, messages, cursors, inbox, 100).execute(U);

    expect(asked).toEqual([
      [NEWS, 10],
      [NEWS, 10],
    ]);
    expect(sync.events.map((e) => e.event)).toEqual(['message_read_ack']);
    expect(sync.parkedIds).toEqual(['k1', 'k2']);
    expect(sync.changes).toEqual([
      {
        event: 'message_edited',
        payload: { messageId: String(doc(NEWS, 7)._id), roomId: NEWS, content: 'fixed', editedAt: '2026-01-01T00:00:01.000Z' },
      },
      {
        event: 'message_reaction',
        payload: { messageId: String(doc(NEWS, 8)._id), roomId: NEWS, counts: { '👍': 2 }, myReactions: ['👍'] },
      },
      { event: 'message_deleted', payload: { messageId: String(doc(NEWS, 9)._id), roomId: NEWS, deletedAt: '2026-01-01T00:00:02.000Z' } },
    ]);
  });

  it.each(['edits', 'reactions'] as const)('names a gap over what the device had when a room has more %s than the limit', async (kind) => {
    const rooms = [{ scope: scope(NEWS), lastIncomingSeq: 10, lastChangeSeq: 40 }];
    const conversations = { roomsWithMessages: async () => rooms } as unknown as Conversations;
    const many = (limit: number) =>
      Array.from({ length: limit }, (_, i) => ({
        ...doc(NEWS, (i % 10) + 1),
        editedAt: new Date(),
        changedSeq: 11 + i,
        reactedSeq: 11 + i,
      }));
    const messages = {
      latestIncoming: async () => [],
      changedSince: async (_s: RoomScope, _after: number, limit: number) => (kind === 'edits' ? many(limit) : []),
      reactedSince: async (_s: RoomScope, _after: number, limit: number) => (kind === 'reactions' ? many(limit) : []),
    } as unknown as Messages;
    const cursors = { forUser: async () => new Map<string, CursorDoc>([[NEWS, { deliveredSeq: 10 } as CursorDoc]]) } as unknown as Cursors;
    const inbox = { peek: async () => ({ messageIds: [], events: [] }) } as unknown as Inbox;

    const sync = await new ReadMissedUseCase(conversations, messages, cursors, inbox, 5).execute(U);

    expect(sync.changes).toHaveLength(5);
    expect(sync.gaps).toEqual([{ roomId: NEWS, fromSeq: 1, toSeq: 10 }]);
  });
});
