import { RoutingKeys, type FanoutEvent, type MessageView, type ReportCommand } from '@chat/contracts';
import { fanoutWebhookEvents, readWebhookEvents, reportWebhookEvent, webhookDeliveries, Webhooks } from './webhooks';

const message = (id: string): MessageView => ({
  id,
  roomId: 'r1',
  senderId: 'a',
  receiverId: 'b',
  content: 'hi',
  clientMsgId: null,
  seq: 1,
  status: 'sent',
  createdAt: '2020-01-01T00:00:00.000Z',
});
const persisted = (id: string, replay = false): FanoutEvent => ({
  type: RoutingKeys.messagePersisted,
  correlationId: `c-${id}`,
  message: message(id),
  replay,
});
const changed = (
  change: 'edited' | 'deleted',
  outcome: 'applied' | 'refused' = 'applied',
  editedAt = '2020-01-01T00:01:00.000Z',
): FanoutEvent => ({
  type: RoutingKeys.messageChanged,
  correlationId: 'c',
  change,
  messageId: 'm1',
  roomId: 'r1',
  actorId: 'a',
  peerId: 'b',
  outcome,
  content: 'changed',
  editedAt,
  deletedAt: '2020-01-01T00:02:00.000Z',
});

describe('fanoutWebhookEvents', () => {
  it('tells each stored message as message.created, a replay under the same id', () => {
    const [first] = fanoutWebhookEvents([persisted('m1')]);
    const [again] = fanoutWebhookEvents([persisted('m1', true)]);
    expect(first).toMatchObject({ type: 'message.created', createdAt: '2020-01-01T00:00:00.000Z', data: { message: { id: 'm1' } } });
    expect(again.id).toBe(first.id);
    expect(fanoutWebhookEvents([persisted('m2')])[0].id).not.toBe(first.id);
  });

  it('tells applied edits (one id per edit) and deletes, and nothing of refused ones or of reactions', () => {
    const [edit] = fanoutWebhookEvents([changed('edited')]);
    expect(edit).toMatchObject({ type: 'message.updated', data: { messageId: 'm1', content: 'changed' } });
    expect(fanoutWebhookEvents([changed('edited', 'applied', '2020-01-01T00:03:00.000Z')])[0].id).not.toBe(edit.id);
    expect(fanoutWebhookEvents([changed('deleted')])[0]).toMatchObject({
      type: 'message.deleted',
      data: { deletedAt: '2020-01-01T00:02:00.000Z' },
    });
    expect(fanoutWebhookEvents([changed('edited', 'refused'), changed('deleted', 'refused')])).toEqual([]);
  });

  it('tells an applied group change as group.updated, named by its command and what it changed', () => {
    const g = (
      correlationId: string,
      outcome: 'applied' | 'refused' = 'applied',
      op: 'rename' | 'add' = 'rename',
      affected: string[] = [],
    ): FanoutEvent => ({
      type: RoutingKeys.groupChanged,
      correlationId,
      groupId: 'g1',
      actorId: 'a',
      op,
      outcome,
      group: null,
      affected,
      previousMembers: ['a', 'b'],
    });
    const [rename] = fanoutWebhookEvents([g('c1')]);
    expect(rename).toMatchObject({ type: 'group.updated', data: { groupId: 'g1', op: 'rename' } });
    expect(fanoutWebhookEvents([g('c1')])[0].id).toBe(rename.id);
    expect(fanoutWebhookEvents([g('c2')])[0].id).not.toBe(rename.id);
    expect(fanoutWebhookEvents([g('c3', 'refused')])).toEqual([]);
    // a client that sends one correlation id with every call: each change is still its own event
    const add = fanoutWebhookEvents([g('c1', 'applied', 'add', ['u2', 'u1'])])[0];
    expect(add.id).not.toBe(rename.id);
    expect(fanoutWebhookEvents([g('c1', 'applied', 'add', ['u1', 'u2'])])[0].id).toBe(add.id);
    expect(fanoutWebhookEvents([g('c1', 'applied', 'add', ['u3'])])[0].id).not.toBe(add.id);
  });
});

describe('readWebhookEvents', () => {
  const move = { roomId: 'r1', userId: 'b', kind: 'read' as const, from: 1, to: 3, at: new Date(0), messageId: 'm3' };
  it('tells each read cursor that moved, one id per room, reader and seq; not delivered cursors or moves that changed nothing', () => {
    const [read] = readWebhookEvents([move]);
    expect(read).toMatchObject({ type: 'message.read', data: { roomId: 'r1', userId: 'b', upToSeq: 3, messageId: 'm3' } });
    expect(readWebhookEvents([{ ...move, from: 2 }])[0].id).toBe(read.id);
    expect(readWebhookEvents([{ ...move, to: 4 }])[0].id).not.toBe(read.id);
    expect(
      readWebhookEvents([
        { ...move, kind: 'delivered' },
        { ...move, from: 3 },
      ]),
    ).toEqual([]);
  });
});

describe('reportWebhookEvent', () => {
  it('tells the report under an id of the report', () => {
    const cmd = {
      type: RoutingKeys.messageReport,
      correlationId: 'c',
      reportId: 'rep1',
      roomId: 'r1',
      messageId: 'm1',
      reporterId: 'b',
      reason: 'spam',
      requestedAt: '2020-01-01T00:00:00.000Z',
    } as ReportCommand;
    const e = reportWebhookEvent(cmd);
    expect(e).toMatchObject({ type: 'report.created', data: { reportId: 'rep1', reason: 'spam' } });
    expect(reportWebhookEvent({ ...cmd, correlationId: 'other' }).id).toBe(e.id);
  });
});

describe('webhookDeliveries', () => {
  const events = fanoutWebhookEvents([persisted('m1'), persisted('m2')]);
  it('sends one delivery per receiver, each with every event once, under an id derived from the events', () => {
    const ds = webhookDeliveries(['http://a/', 'http://b/'], [...events, events[0]]);
    expect(ds.map((d) => d.url)).toEqual(['http://a/', 'http://b/']);
    expect(ds[0].deliveryId).toBe(ds[1].deliveryId);
    expect((ds[0].body as { events: unknown[] }).events).toEqual(events);
    expect(webhookDeliveries(['http://a/'], events)[0].deliveryId).toBe(ds[0].deliveryId);
    expect(webhookDeliveries(['http://a/'], events.slice(1))[0].deliveryId).not.toBe(ds[0].deliveryId);
  });

  it('queues nothing without receivers or events', async () => {
    const added: unknown[] = [];
    const queue = { add: async (d: unknown[]) => void added.push(...d) };
    await new Webhooks(queue, '').send(events);
    await new Webhooks(queue, ' http://a/ ').send([]);
    expect(added).toEqual([]);
    await new Webhooks(queue, ' http://a/ ').send(events);
    expect(added).toHaveLength(1);
  });
});
