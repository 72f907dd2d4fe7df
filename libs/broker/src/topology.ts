import { DEFAULT_PARTITIONS, partitionOf, RoutingKeys } from '@chat/contracts';

export interface QueueSpec {
  name: string;
  bindings: Array<{ exchange: string; routingKey: string }>;
  /** One consumer at a time per queue, so per-partition order survives several worker copies. */
  singleActiveConsumer: boolean;
}

export interface Topology {
  /** Partitions per stage: a room's (or group's) commands and events go to partition partitionOf(id). */
  partitions: number;
  /** The routing key of a command or event of the room (or group) `id`: the one place routing is computed. */
  route: (base: string, id: string) => string;
  exchange: string;
  deadLetterExchange: string;
  deadLetterQueue: string;
  queues: QueueSpec[];
  persistQueues: string[];
  fanoutQueues: string[];
  receiptQueues: string[];
}

/** Delivery attempts before a message is dead-lettered (quorum queues count them for us). */
export const DELIVERY_LIMIT = 5;

export function partitionKey(base: string, partition: number): string {
  return `${base}.p${partition}`;
}

/**
 * The whole broker layout as data. Every stage is partitioned by room and each partition queue has a
 * single active consumer: a room's messages keep their order through each stage, and each room has one
 * writer per stage at a time (the store needs that; see the persistence worker's RoomHeads).
 * Every service asserts it, idempotently, on each (re)connect.
 */
export function buildTopology(ns: string, partitions = DEFAULT_PARTITIONS): Topology {
  if (!Number.isInteger(partitions) || partitions < 1) throw new Error(`partitions must be a positive integer, not ${partitions}`);
  const exchange = `${ns}.messages`;
  const deadLetterExchange = `${ns}.dlx`;
  const range = [...Array(partitions).keys()];
  const persistQueues = range.map((p) => `${ns}.persistence.message.store.p${p}`);
  const fanoutQueues = range.map((p) => `${ns}.fanout.message.deliver.p${p}`);
  const receiptQueues = range.map((p) => `${ns}.receipts.message.apply.p${p}`);
  const queues: QueueSpec[] = [
    ...range.map((p) => ({
      name: persistQueues[p],
      bindings: [
        RoutingKeys.messageSend,
        RoutingKeys.messageEdit,
        RoutingKeys.messageDelete,
        RoutingKeys.messageReact,
        RoutingKeys.groupCommand,
        RoutingKeys.messagePin,
        RoutingKeys.messageUnpin,
        RoutingKeys.userBlock,
        RoutingKeys.messageReport,
        RoutingKeys.messageModerate,
      ].map((k) => ({
        exchange,
        routingKey: partitionKey(k, p),
      })),
      singleActiveConsumer: true,
    })),
    ...range.map((p) => ({
      name: fanoutQueues[p],
      bindings: [
        RoutingKeys.messagePersisted,
        RoutingKeys.messageChanged,
        RoutingKeys.messageReacted,
        RoutingKeys.groupChanged,
        RoutingKeys.pinChanged,
        RoutingKeys.messageRefused,
        RoutingKeys.messageRejected,
      ].map((k) => ({
        exchange,
        routingKey: partitionKey(k, p),
      })),
      singleActiveConsumer: true,
    })),
    ...range.map((p) => ({
      name: receiptQueues[p],
      bindings: [{ exchange, routingKey: partitionKey(RoutingKeys.receipt, p) }],
      singleActiveConsumer: true,
    })),
  ];
  return {
    partitions,
    route: (base, id) => partitionKey(base, partitionOf(id, partitions)),
    exchange,
    deadLetterExchange,
    deadLetterQueue: `${ns}.dead-letter`,
    queues,
    persistQueues,
    fanoutQueues,
    receiptQueues,
  };
}

export function queueArguments(t: Topology, q: QueueSpec): Record<string, unknown> {
  return {
    'x-queue-type': 'quorum',
    'x-delivery-limit': DELIVERY_LIMIT,
    'x-dead-letter-exchange': t.deadLetterExchange,
    'x-dead-letter-routing-key': q.name,
    'x-dead-letter-strategy': 'at-least-once',
    'x-overflow': 'reject-publish',
    ...(q.singleActiveConsumer ? { 'x-single-active-consumer': true } : {}),
  };
}
