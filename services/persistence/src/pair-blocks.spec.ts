import { RoutingKeys, type BlockCommand, type SendMessageCommand } from '@chat/contracts';
import { PairBlocks } from './pair-blocks';

const [A, B, ROOM, G] = ['a', 'b', 'c', 'd'].map((x) => x.repeat(24));
let n = 0;
const send = (senderId: string, receiverId: string, groupId?: string): SendMessageCommand => ({
  type: RoutingKeys.messageSend,
  correlationId: 'x',
  message: {
    id: (++n).toString(16).padStart(24, '0'),
    roomId: groupId ?? ROOM,
    senderId,
    receiverId,
    content: 'hi',
    clientMsgId: null,
    createdAt: new Date().toISOString(),
    ...(groupId ? { groupId } : {}),
  },
});
const block = (on: boolean): BlockCommand => ({
  type: RoutingKeys.userBlock,
  correlationId: 'x',
  roomId: ROOM,
  blockerId: B,
  blockedId: A,
  on,
  requestedAt: new Date().toISOString(),
});

describe('PairBlocks', () => {
  it('reads a room once, then judges its sends from memory, following the block commands in order', async () => {
    const stored = new Set<string>();
    let reads = 0;
    const blocks = new PairBlocks({ blocks: async (x, y) => (reads++, stored.has(`${x}:${y}`)) });
    const m1 = send(A, B);
    expect(await blocks.refusals([m1])).toEqual(new Map());
    expect(reads).toBe(2);
    // the edge stores the block, then its command arrives in the room's order
    stored.add(`${B}:${A}`);
    blocks.apply(block(true));
    const [m2, m3] = [send(A, B), send(B, A)];
    expect([...(await blocks.refusals([m2, m3])).keys()]).toEqual([m2.message.id]);
    expect((await blocks.refusals([m2])).get(m2.message.id)).toMatchObject({ code: 'BLOCKED' });
    blocks.apply(block(false));
    expect(await blocks.refusals([send(A, B)])).toEqual(new Map());
    expect(reads).toBe(2);
  });

  it('lets group messages through and reads the store again after forgetting', async () => {
    let reads = 0;
    const blocks = new PairBlocks({ blocks: async (x, y) => (reads++, x === B && y === A) });
    expect(await blocks.refusals([send(A, G, G)])).toEqual(new Map());
    expect(reads).toBe(0);
    expect((await blocks.refusals([send(A, B)])).size).toBe(1);
    blocks.forgetAll();
    expect((await blocks.refusals([send(A, B)])).size).toBe(1);
    expect(reads).toBe(4);
  });
});
