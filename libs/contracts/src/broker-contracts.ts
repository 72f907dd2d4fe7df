import type { MessageView } from './messages';

/**
 * Broker names and payloads. Routing keys are versioned; queues are named <service>.<entity>.<action>.
 * Partitioned queues keep one conversation's messages in order through each stage.
 */
export const PARTITIONS = 8;

export const RoutingKeys = {
  messageSend: 'message.send.v1',
  messagePersisted: 'message.persisted.v1',
  receipt: 'message.receipt.v1',
} as const;

export interface SendMessageCommand {
  type: typeof RoutingKeys.messageSend;
  correlationId: string;
  message: Omit<MessageView, 'seq' | 'status'>;
}

export interface MessagePersistedEvent {
  type: typeof RoutingKeys.messagePersisted;
  correlationId: string;
  message: MessageView;
  /** true when this event repeats a message stored earlier (a redelivery or a resend). */
  replay: boolean;
}

export interface ReceiptCommand {
  type: typeof RoutingKeys.receipt;
  correlationId: string;
  kind: 'delivered' | 'read';
  userId: string;
  roomId: string;
  messageIds: string[];
  /** Highest seq acknowledged by the user's device in this room (advances its sync cursor). */
  upToSeq?: number;
  at: string;
}

export type BrokerPayload = SendMessageCommand | MessagePersistedEvent | ReceiptCommand;
