import { randomBytes } from 'node:crypto';
import { Redis } from 'ioredis';
import type { MessageView } from '@chat/contracts';
import { OfflineInbox } from '@chat/delivery';
import { deleteKeys } from '@chat/stack';

const message = (roomId: string, seq: number): MessageView =>
  ({
    id: randomBytes(12).toString('hex'),
    roomId,
    senderId: 'sender',
    receiverId: null,
    content: `m${seq}`,
    seq,
    createdAt: new Date(0).toISOString(),
  }) as unknown as MessageView;

describe('the offline inbox keeps at most its cap of queue handles, and a closed one leaves nothing on the shared connection', () => {
  const ns = `inbox-${randomBytes(4).toString('hex')}`;
  const redis = new Redis(process.env.TEST_REDIS_URL!);
  afterAll(async () => {
    await deleteKeys(redis, `${ns}:*`);
    redis.disconnect();
  });

  it('20 users parked, peeked, paged and drained at once through 2 cached handles: every call answers, and no handle stays past the cap', async () => {
    const inbox = new OfflineInbox(redis, ns, 2);
    const listenersBefore = redis.listenerCount('ready') + redis.listenerCount('close');
    const users = Array.from({ length: 20 }, (_, i) => `user-${i}`);
    const parked = new Map(users.map((u) => [u, [1, 2, 3].map((seq) => message(`room-${u}`, seq))]));

    await Promise.all(users.map((u) => inbox.park(u, parked.get(u)!)));
    const [peeked, pages] = await Promise.all([
      Promise.all(users.map((u) => inbox.peek(u))),
      Promise.all(users.map((u) => inbox.page(u, 10))),
    ]);
    users.forEach((u, i) => {
      expect(peeked[i].messageIds).toEqual(parked.get(u)!.map((m) => m.id));
      expect(pages[i].messages.map((m) => m.content)).toEqual(['m1', 'm2', 'm3']);
    });
    await Promise.all(
      users.map((u) =>
        inbox.remove(
          u,
          parked.get(u)!.map((m) => m.id),
        ),
      ),
    );
    expect(await Promise.all(users.map((u) => inbox.list(u)))).toEqual(users.map(() => []));

    expect(inbox.cachedQueues).toBeLessThanOrEqual(2);
    await inbox.close();
    // closed handles leave the shared connection open and take their listeners with them
    expect(redis.status).toBe('ready');
    expect(redis.listenerCount('ready') + redis.listenerCount('close')).toBeLessThanOrEqual(listenersBefore);
  });
});
