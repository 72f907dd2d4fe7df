import { buildTopology } from '@chat/broker';
import { Unavailable, type MessageView } from '@chat/contracts';
import type { RoomScope } from '@chat/store';
import type { AcceptedLog, CommandBus, Conversations } from '../ports';
import { SenderLanes } from '../sender-lanes';
import { SendMessageUseCase } from './send-message.usecase';

const A = 'a'.repeat(24);
const B = 'b'.repeat(24);
const C = 'c'.repeat(24);
const ROOM = 'd'.repeat(24);

function setup(scopeDelay: (i: number) => number = () => 0) {
  let calls = 0;
  const published: Array<{ key: string; content: string }> = [];
  let failNext = false;
  const conversations = {
    scopeFor: async (roomId: string, userId: string) => {
      const i = calls++;
      await new Promise((r) => setTimeout(r, scopeDelay(i)));
      return roomId === ROOM && [A, B].includes(userId) ? ({ roomId, userId, participants: [A, B] } as unknown as RoomScope) : null;
    },
  } as unknown as Conversations;
  const bus: CommandBus = {
    publishConfirmed: async (key, payload) => {
      if (failNext) {
        failNext = false;
        throw new Unavailable('message broker did not confirm');
      }
      published.push({ key, content: (payload as { message: MessageView }).message.content });
    },
    route: buildTopology('t').route,
  };
  const log = new Map<string, MessageView>();
  const accepted: AcceptedLog = {
    get: async (id) => log.get(id) ?? null,
    remember: async (m) => {
      if (!log.has(m.id)) log.set(m.id, m);
      return log.get(m.id)!;
    },
  };
  return {
    uc: new SendMessageUseCase(conversations, bus, accepted, new SenderLanes()),
    published,
    failNextPublish: () => (failNext = true),
  };
}

const dto = (content: string, clientMsgId?: string) => ({ receiverId: B, roomId: ROOM, content, clientMsgId });

describe('SendMessageUseCase', () => {
  it('publishes a sender’s messages in arrival order even when checks finish out of order', async () => {
    const { uc, published } = setup((i) => (i % 2 === 0 ? 20 : 0));
    await Promise.all([...Array(10).keys()].map((i) => uc.execute({ userId: A, dto: dto(`m${i}`, `c${i}`) })));
    expect(published.map((p) => p.content)).toEqual([...Array(10).keys()].map((i) => `m${i}`));
  });

  it('answers a resend with the first message and publishes once', async () => {
    const { uc, published } = setup();
    const first = await uc.execute({ userId: A, dto: dto('one', 'x') });
    const again = await uc.execute({ userId: A, dto: dto('changed', 'x') });
    expect(again).toEqual(first);
    expect(published).toHaveLength(1);
  });

  it('refuses a spoofed senderId, a stranger, a receiver outside the room and blank content', async () => {
    const { uc } = setup();
    await expect(uc.execute({ userId: A, dto: { ...dto('x'), senderId: B } })).rejects.toMatchObject({ code: 'FORBIDDEN' });
    await expect(uc.execute({ userId: C, dto: dto('x') })).rejects.toMatchObject({ code: 'NOT_FOUND' });
    await expect(uc.execute({ userId: A, dto: { ...dto('x'), receiverId: C } })).rejects.toMatchObject({ code: 'FORBIDDEN' });
    await expect(uc.execute({ userId: A, dto: dto('   ') })).rejects.toMatchObject({ code: 'VALIDATION_FAILED' });
  });

  it('keeps going after a failed send in the same lane: refused before its turn, or not confirmed by the broker', async () => {
    const { uc, published, failNextPublish } = setup();
    await expect(uc.execute({ userId: A, dto: dto(' ') })).rejects.toMatchObject({ code: 'VALIDATION_FAILED' });
    failNextPublish();
    await expect(uc.execute({ userId: A, dto: dto('lost') })).rejects.toMatchObject({ code: 'UNAVAILABLE' });
    await uc.execute({ userId: A, dto: dto('after') });
    expect(published.map((p) => p.content)).toEqual(['after']);
  });
});
