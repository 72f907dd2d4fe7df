import { io } from 'socket.io-client';
import type { MessageView } from '@chat/contracts';
import { eventually, TestStack } from './support/harness';

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
});
