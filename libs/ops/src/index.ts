export * from './metrics';
export * from './server';
export * from './stage-times';
