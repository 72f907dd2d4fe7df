export { buildTopology, partitionKey, DELIVERY_LIMIT, type Topology, type QueueSpec } from './topology';
export { connectBroker, assertTopology, brokerUp, type BrokerConnection } from './connection';
export { Publisher } from './publisher';
export { BatchConsumer, TransientError, type Delivery, type Outcome, type ConsumerOptions } from './consumer';
export { QueueAdmin, exportQueueDepths, type QueueStat, type DeadLetter } from './queue-admin';
