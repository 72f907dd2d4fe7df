export { Presence, ANY_EDGE, isRedisUnavailable, presenceKey } from './presence';
export { LastSeen } from './last-seen';
export { OfflineInbox } from './offline-inbox';
export { EdgeChannel, adapterKey, edgeChannel, shareByEdge, userRoom } from './edge-channel';
export { LiveNotifier, sendToEdges, type EdgeShares, type WhereOnline } from './edge-routing';
export { StageLag, type StageReport } from './stage-lag';
export { StageTimes } from './stage-times';
export { DeliveryTraces, type FanoutRecord, type FanoutTrace, type TraceRecord } from './delivery-traces';
export { ModerationReports, type ModerationReport, type ModerationOverview } from './moderation-reports';
export {
  OutboundQueue,
  OutboundSender,
  OUTBOUND_ATTEMPTS,
  isOutboundJobId,
  outboundBackoff,
  outboundJobId,
  signOutbound,
  verifyOutbound,
  type OutboundCounts,
  type OutboundDeadLetter,
  type OutboundDelivery,
  type OutboundKind,
  type OutboundOutcome,
} from './outbound';
export {
  Webhooks,
  fanoutWebhookEvents,
  readWebhookEvents,
  reportWebhookEvent,
  webhookDeliveries,
  type ReadMove,
  type WebhookEvent,
  type WebhookEventType,
} from './webhooks';
export { PushWindows, type PushItem, type PushWindow } from './push-windows';
