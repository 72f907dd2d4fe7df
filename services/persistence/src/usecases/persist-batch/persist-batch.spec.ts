import { buildTopology } from '@chat/broker';
import { Unavailable, type FanoutEvent, type MessagePersistedEvent, type RoomCommand } from '@chat/contracts';
import { createLogger } from '@chat/logging';
import { PersistBatchUseCase } from './persist-batch.usecase';

const ROOM = 'c'.repeat(24);
const topology = buildTopology('t');
const cmd = (n: number) => ({ type: 'message.send.v1', correlationId: `c${n}` }) as unknown as RoomCommand;
const persisted = (n: number) =>
  ({
    type: 'message.persisted.v1',
    correlationId: `c${n}`,
    message: { id: `m${n}`, roomId: ROOM, seq: n },
    replay: false,
  }) as unknown as MessagePersistedEvent;
const log = createLogger('test', { level: 'silent', instance: 'spec' });

function setup(events: Array<FanoutEvent | null>, publish: (key: string) => Promise<void> = async () => undefined) {
  const published: Array<{ key: string; correlationId?: string }> = [];
  const uc = new PersistBatchUseCase(
    { execute: async () => events },
    { publishConfirmed: async (key, _payload, headers) => (published.push({ key, correlationId: headers?.correlationId }), publish(key)) },
    topology.route,
    log,
  );
  return { uc, published };
}

describe('PersistBatchUseCase', () => {
  it('publishes each event on its room’s partition, acks its command, and dead-letters one whose room does not exist', async () => {
    const s = setup([persisted(1), null]);
    await expect(s.uc.execute([cmd(1), cmd(2)])).resolves.toEqual(['ack', 'dead']);
    expect(s.published).toEqual([{ key: topology.route('message.persisted.v1', ROOM), correlationId: 'c1' }]);
  });

  it('acks nothing before the broker confirmed every event (a crash in between would lose the delivery)', async () => {
    let confirm!: () => void;
    const s = setup([persisted(1)], () => new Promise<void>((r) => (confirm = r)));
    let done = false;
    const outcome = s.uc.execute([cmd(1)]).then((o) => ((done = true), o));
    await new Promise((r) => setTimeout(r, 20));
    expect(done).toBe(false);
    confirm();
    await expect(outcome).resolves.toEqual(['ack']);
  });

  it('fails the batch when the broker does not confirm, so it is held and tried again', async () => {
    const s = setup([persisted(1)], async () => {
      throw new Unavailable('message broker did not confirm: timeout');
    });
    await expect(s.uc.execute([cmd(1)])).rejects.toBeInstanceOf(Unavailable);
  });
});
