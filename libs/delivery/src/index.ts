export { Presence, isRedisUnavailable } from './presence';
export { OfflineInbox } from './offline-inbox';
export { EdgeChannel, adapterKey, userRoom } from './edge-channel';
export { StageLag, type StageReport } from './stage-lag';
