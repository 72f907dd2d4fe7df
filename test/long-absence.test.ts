import { io } from 'socket.io-client';
import type { MessageView } from '@chat/contracts';
import { eventually, newUserId, TestStack } from './support/harness';

/** Promise 1 per device: another device of the user acknowledging messages does not keep them from this one. */
describe('a second device reconnecting', () => {
  const t = new TestStack();
  beforeAll(() => t.start(), 120_000);
  afterAll(() => t.stop(), 60_000);

  it('gets what it lacks after the seq it says it has, although the user’s phone acknowledged all of it', async () => {
    const { b, ta, tb, roomId } = await t.pair();
    const alice = await t.connect(ta, 0);
    const phone = await t.connect(tb, 1);
    const acked: MessageView[] = [];
    for (let i = 0; i < 4; i++)
      acked.push((await alice.request('send_message', { receiverId: b, roomId, content: `d${i}`, clientMsgId: `d-${i}` })).message);
    await phone.waitFor(() => phone.received.length === 4, 'the phone got all four');
    await eventually(async () => {
      const page = await t.http('GET', `/chat/messages/${roomId}?limit=10`, { token: tb });
      return page.body.messages?.every((m: MessageView) => m.status === 'delivered');
    }, 'the phone’s receipts stored');

    // the laptop had the first message only
    const laptop = io(`${t.stack.edgeUrls[0]}/chat`, {
      auth: { token: tb, since: { [roomId]: phone.received[0].seq } },
      transports: ['websocket'],
      reconnection: false,
      forceNew: true,
    });
    const got: MessageView[] = [];
    laptop.on('receive_message', (p: { message: MessageView }, ack?: () => void) => {
      got.push(p.message);
      ack?.();
    });
    try {
      const deadline = Date.now() + 15_000;
      while (got.length < 3 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
      await new Promise((r) => setTimeout(r, 500));
      expect(got.map((m) => m.content)).toEqual(['d1', 'd2', 'd3']);
    } finally {
      laptop.close();
    }
  }, 60_000);

  it('that was connected and went away gets what came meanwhile once each, in order, while the phone acknowledges it all; unread counts stay right', async () => {
    const { b, ta, tb, roomId } = await t.pair();
    const c = newUserId();
    const tc = await t.token(c);
    const other = await t.http('POST', '/chat/conversation', { token: tc, body: { user1: c, user2: b } });
    const room2: string = other.body.conversation.id;
    const alice = await t.connect(ta, 1);
    const carol = await t.connect(tc, 1);
    const phone = await t.connect(tb, 0);
    const laptop = await t.connect(tb, 0);
    const send = async (from: typeof alice, to: string, room: string, content: string): Promise<MessageView> =>
      (await from.request('send_message', { receiverId: to, roomId: room, content, clientMsgId: content })).message;

    // both devices have one message in each room, and the user read them
    await send(alice, b, roomId, 'r1-0');
    await send(carol, b, room2, 'r2-0');
    await phone.waitFor(() => phone.received.length === 2, 'the phone got the first two');
    await laptop.waitFor(() => laptop.received.length === 2, 'the laptop got the first two');
    for (const room of [roomId, room2])
      expect((await t.http('PATCH', `/chat/message/read/room/${room}/user/${b}`, { token: tb })).status).toBe(202);
    await eventually(async () => (await t.http('GET', `/chat/message/unread/${b}`, { token: tb })).body.count === 0, 'all read');
    // what the laptop has, from what it received (a send's acknowledgement carries no seq yet)
    const since = Object.fromEntries(laptop.received.map((m) => [m.roomId, m.seq!]));
    expect(Object.keys(since).sort()).toEqual([roomId, room2].sort());
    laptop.close();

    // while the laptop is away, the phone gets and acknowledges everything (nothing read)
    const meanwhile: MessageView[] = [];
    for (let i = 1; i <= 5; i++) {
      meanwhile.push(await send(alice, b, roomId, `r1-${i}`));
      if (i <= 3) meanwhile.push(await send(carol, b, room2, `r2-${i}`));
    }
    await phone.waitFor(() => phone.received.length === 2 + meanwhile.length, 'the phone got everything');
    await eventually(async () => {
      const pages = await Promise.all([roomId, room2].map((r) => t.http('GET', `/chat/messages/${r}?limit=10`, { token: tb })));
      return pages.every((p) => p.body.messages?.every((m: MessageView) => m.status !== 'sent'));
    }, 'the phone’s delivered receipts stored');
    const unread = async () => (await t.http('GET', `/chat/message/unread/${b}`, { token: tb })).body;
    expect(await unread()).toEqual({ count: 8, byRoom: { [roomId]: 5, [room2]: 3 } });

    // the laptop comes back on the phone's edge with what it had
    const back = await t.connect(tb, 0, { since });
    const inRoom = (list: MessageView[], room: string) => list.filter((m) => m.roomId === room).map((m) => m.content);
    await back.waitFor(() => back.received.length >= meanwhile.length, 'what the laptop lacks', 20_000).catch(() => undefined);
    await new Promise((r) => setTimeout(r, 500));
    expect(inRoom(back.received, roomId)).toEqual(['r1-1', 'r1-2', 'r1-3', 'r1-4', 'r1-5']);
    expect(inRoom(back.received, room2)).toEqual(['r2-1', 'r2-2', 'r2-3']);
    expect(back.received).toHaveLength(meanwhile.length);
    // delivered, not read: the other device's receipts show, and nothing came again to the phone
    expect(back.received.every((m) => m.status === 'delivered')).toBe(true);
    expect(phone.received).toHaveLength(2 + meanwhile.length);
    // the laptop's acknowledgements of what the phone already acknowledged change no count
    expect(await unread()).toEqual({ count: 8, byRoom: { [roomId]: 5, [room2]: 3 } });
    expect((await t.http('PATCH', `/chat/message/read/room/${roomId}/user/${b}`, { token: tb })).status).toBe(202);
    await eventually(async () => (await unread()).count === 3, 'the first room read');
    expect(await unread()).toEqual({ count: 3, byRoom: { [room2]: 3 } });
    // alice sees her messages read, none back to sent
    const mine = await t.http('GET', `/chat/messages/${roomId}?limit=10`, { token: ta });
    expect(mine.body.messages.map((m: MessageView) => m.status)).toEqual(Array(6).fill('read'));
  }, 90_000);

  it('that says it has nothing in a room (since 0) gets all of it, although the phone acknowledged it', async () => {
    const { b, ta, tb, roomId } = await t.pair();
    const alice = await t.connect(ta, 1);
    const phone = await t.connect(tb, 0);
    for (let i = 0; i < 3; i++) await alice.request('send_message', { receiverId: b, roomId, content: `z${i}`, clientMsgId: `z-${i}` });
    await phone.waitFor(() => phone.received.length === 3, 'the phone got all three');
    await eventually(async () => {
      const page = await t.http('GET', `/chat/messages/${roomId}?limit=10`, { token: tb });
      return page.body.messages?.every((m: MessageView) => m.status === 'delivered');
    }, 'the phone’s receipts stored');
    const tablet = await t.connect(tb, 1, { since: { [roomId]: 0 } });
    await tablet.waitFor(() => tablet.received.length >= 3, 'all three', 20_000).catch(() => undefined);
    await new Promise((r) => setTimeout(r, 500));
    expect(tablet.received.map((m) => m.content)).toEqual(['z0', 'z1', 'z2']);
  }, 60_000);
});
