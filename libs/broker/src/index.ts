export { buildTopology, partitionKey, DELIVERY_LIMIT, type Topology, type QueueSpec } from './topology';
export { connectBroker, assertTopology, type BrokerConnection } from './connection';
export { Publisher } from './publisher';
export { BatchConsumer, TransientError, type Delivery, type Outcome, type ConsumerOptions } from './consumer';
