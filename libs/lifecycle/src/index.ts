export { runService, waitFor, type Stop } from './service';
export { isTransient, runConsumerService, type WorkerContext, type WorkerOptions, type WorkerPlan } from './consumer-service';
