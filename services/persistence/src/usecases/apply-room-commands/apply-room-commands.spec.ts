import {
  RoutingKeys,
  type EditMessageCommand,
  type MessageChangedEvent,
  type MessageReactedEvent,
  type SendMessageCommand,
} from '@chat/contracts';
import type { NewMessage } from '@chat/store';
import { RoomHeads } from '../../room-heads';
import { MemoryRooms } from '../../testing/memory-rooms';
import type { ApplyGroupCommandUseCase } from '../apply-group-command/apply-group-command.usecase';
import type { ChangeMessageUseCase } from '../change-message/change-message.usecase';
import { StoreMessagesUseCase } from '../store-messages/store-messages.usecase';
import { ApplyRoomCommandsUseCase } from './apply-room-commands.usecase';

const USER = 'a'.repeat(24);
const rooms = ['1', '2', '3'].map((d) => d.repeat(24));

/** Records every insert and what each room's messages look like when an edit is applied. */
class Recorder extends MemoryRooms {
  inserts: string[][] = [];
  constructor() {
    super();
    for (const r of rooms) this.addRoom(r);
  }
  override async insertIdempotent(docs: NewMessage[]) {
    this.inserts.push(docs.map((d) => d.id));
    return super.insertIdempotent(docs);
  }
}

let n = 0;
const send = (roomId: string): SendMessageCommand => {
  const id = (++n).toString(16).padStart(24, '0');
  return {
    type: RoutingKeys.messageSend,
    correlationId: id,
    message: { id, roomId, senderId: USER, receiverId: USER, content: `m${id}`, clientMsgId: null, createdAt: new Date().toISOString() },
  };
};
const edit = (roomId: string, messageId: string): EditMessageCommand => ({
  type: RoutingKeys.messageEdit,
  correlationId: `e${messageId}`,
  messageId,
  roomId,
  actorId: USER,
  content: 'edited',
  requestedAt: new Date().toISOString(),
});

function build() {
  const store = new Recorder();
  const seenAtEdit: Array<{ messageId: string; stored: boolean }> = [];
  const stamps: number[] = [];
  const storeMessages = new StoreMessagesUseCase(store, new RoomHeads(store, { owner: 'w', flushMs: 1000, idleMs: 1000 }));
  const change = {
    execute: async (c: EditMessageCommand) => {
      seenAtEdit.push({ messageId: c.messageId, stored: store.docs.has(c.messageId) });
      stamps.push((await storeMessages.stampChange(c.roomId))!);
      return {
        type: RoutingKeys.messageChanged,
        correlationId: c.correlationId,
        roomId: c.roomId,
        messageId: c.messageId,
      } as unknown as MessageChangedEvent;
    },
  } as unknown as ChangeMessageUseCase;
  const react = { execute: async () => ({}) as unknown as MessageReactedEvent };
  const none = {
    execute: async () => {
      throw new Error('not in these batches');
    },
  };
  const uc = new ApplyRoomCommandsUseCase(storeMessages, {
    change,
    group: {} as ApplyGroupCommandUseCase,
    react,
    pin: none,
    block: { apply: () => undefined },
    report: none,
    moderate: none,
  });
  return { uc, store, seenAtEdit, stamps };
}

describe('ApplyRoomCommandsUseCase', () => {
  it('stores a batch of sends to many rooms with one insert, each room in its own seq order', async () => {
    const { uc, store } = build();
    const batch = [send(rooms[0]), send(rooms[1]), send(rooms[0]), send(rooms[2]), send(rooms[1])];
    const events = await uc.execute(batch);
    expect(store.inserts).toHaveLength(1);
    expect(store.inserts[0].sort()).toEqual(batch.map((c) => c.message.id).sort());
    const seqs = events.map((e) => (e as { message: { roomId: string; seq: number } }).message);
    expect(seqs.map((m) => m.seq)).toEqual([1, 1, 2, 1, 2]);
  });

  it('applies an edit after the sends before it in its room, and stores the sends after it later', async () => {
    const { uc, store, seenAtEdit, stamps } = build();
    const first = send(rooms[0]);
    const later = send(rooms[0]);
    const other = send(rooms[1]);
    const events = await uc.execute([first, edit(rooms[0], first.message.id), later, other]);
    expect(seenAtEdit).toEqual([{ messageId: first.message.id, stored: true }]);
    // the leading sends of every room together, then the room's send after its edit
    expect(store.inserts.map((ids) => [...ids].sort())).toEqual([[first.message.id, other.message.id].sort(), [later.message.id]]);
    // the edit takes the room's seq between the sends around it
    expect(stamps).toEqual([2]);
    expect((events[2] as { message: { seq: number } }).message.seq).toBe(3);
    expect(events.every((e) => e !== null)).toBe(true);
  });
});
