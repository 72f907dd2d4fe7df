export * from './errors';
export * from './ids';
export * from './messages';
export * from './events';
export * from './delivery';
export * from './broker-contracts';
export * from './dto';
export * from './guards';
