export { Presence, ANY_EDGE, isRedisUnavailable } from './presence';
export { OfflineInbox } from './offline-inbox';
export { EdgeChannel, adapterKey, edgeChannel, shareByEdge, userRoom } from './edge-channel';
export { StageLag, type StageReport } from './stage-lag';
