import { Counter, Gauge, Histogram, collectDefaultMetrics, register } from 'prom-client';

/**
 * Every metric the project exports, in one place so names and labels stay consistent across services.
 * Each service is its own process, so prom-client's default registry is per service; the `service` and
 * `instance` default labels are set by `initMetrics`. A metric a service never touches is simply absent.
 */

let initialised = false;

export function initMetrics(service: string, instance: string): void {
  if (initialised) return;
  initialised = true;
  register.setDefaultLabels({ service, instance });
  collectDefaultMetrics({ prefix: 'chat_' });
}

export const metricsRegistry = register;

export const published = new Counter({
  name: 'chat_broker_published_total',
  help: 'Messages published to RabbitMQ and confirmed, by routing key (stage) and outcome',
  labelNames: ['stage', 'outcome'] as const,
});

export const publishWaited = new Counter({
  name: 'chat_broker_publish_waited_total',
  help: 'Publishes begun while the connection to RabbitMQ was down: each waited for the reconnect or timed out, by stage',
  labelNames: ['stage'] as const,
});

export const consumed = new Counter({
  name: 'chat_broker_consumed_total',
  help: 'Broker deliveries settled by this worker, by queue and outcome (ack, dead)',
  labelNames: ['queue', 'outcome'] as const,
});

export const queueDepth = new Gauge({
  name: 'chat_queue_depth',
  help: 'Messages ready in a RabbitMQ queue, read when scraped',
  labelNames: ['queue'] as const,
});

export const queueConsumers = new Gauge({
  name: 'chat_queue_consumers',
  help: 'Consumers attached to a RabbitMQ queue, read when scraped',
  labelNames: ['queue'] as const,
});

export const oldestMessageAge = new Gauge({
  name: 'chat_queue_oldest_message_age_seconds',
  help: 'Age of the oldest message this worker took from the queue in its last batch (how far behind the head is)',
  labelNames: ['queue'] as const,
});

export const stageLag = new Gauge({
  name: 'chat_stage_lag_seconds',
  help: 'How long the oldest command this worker holds and has not finished has waited since it was published (persistence: the age of the oldest unstored message); 0 when it holds none',
  labelNames: ['stage'] as const,
});

export const admissionLag = new Gauge({
  name: 'chat_admission_lag_seconds',
  help: "The store's lag as this edge last read it (the largest fresh report of the persistence workers); sends are refused with BUSY above ADMISSION_MAX_LAG_MS",
});

export const admissionQueued = new Gauge({
  name: 'chat_admission_queued',
  help: 'Commands waiting in the persistence queues as this edge last read them; sends are refused with BUSY above ADMISSION_MAX_QUEUED',
});

export const sendsRefused = new Counter({
  name: 'chat_sends_refused_total',
  help: 'Sends this edge refused with BUSY because the store was behind, by the signal that refused them (lag, queued)',
  labelNames: ['reason'] as const,
});

export const deadLetters = new Gauge({
  name: 'chat_dead_letters',
  help: 'Messages waiting in the dead-letter queue, read when scraped',
});

export const deadLettered = new Counter({
  name: 'chat_dead_lettered_total',
  help: 'Messages this worker sent to the dead-letter queue',
  labelNames: ['queue'] as const,
});

export const deliveryLatency = new Histogram({
  name: 'chat_delivery_latency_seconds',
  help: 'From the edge accepting a message to the fanout worker handing it to the receiver: emitted to its edge, or parked offline',
  buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
});

export const storeOpSeconds = new Histogram({
  name: 'chat_store_op_seconds',
  help: 'Time of each store call a worker makes, by operation',
  labelNames: ['op'] as const,
  buckets: [0.002, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
});

/** Wraps an async function so each call's duration lands in chat_store_op_seconds{op}. */
export function timed<A extends unknown[], R>(op: string, fn: (...args: A) => Promise<R>): (...args: A) => Promise<R> {
  return async (...args: A) => {
    const end = storeOpSeconds.startTimer({ op });
    try {
      return await fn(...args);
    } finally {
      end();
    }
  };
}

type AsyncMethods<T> = { [K in keyof T]: T[K] extends (...args: never[]) => Promise<unknown> ? K : never }[keyof T];

/**
 * The store calls a worker hands its use cases, each timed under its op label (`ops`: method → label),
 * and, with `bound`, each call bounded by it (a deadline): one wrapper instead of one per call site.
 */
export function timedCalls<T extends object, K extends AsyncMethods<T>>(
  target: T,
  ops: Record<K, string>,
  bound?: <R>(call: Promise<R>, op: string) => Promise<R>,
): Pick<T, K> {
  const port = {} as Record<K, unknown>;
  for (const method of Object.keys(ops) as K[]) {
    const fn = target[method] as (...args: unknown[]) => Promise<unknown>;
    const op = ops[method];
    port[method] = timed(op, (...args: unknown[]) => (bound ? bound(fn.apply(target, args), op) : fn.apply(target, args)));
  }
  return port as Pick<T, K>;
}

export const socketsConnected = new Gauge({
  name: 'chat_sockets_connected',
  help: 'Authenticated Socket.IO connections on this edge',
});

export const catchUpsPending = new Gauge({
  name: 'chat_catchups_pending',
  help: 'Users on this edge whose live deliveries are held while their catch-up from the store runs or waits to retry',
});

export const authLookups = new Counter({
  name: 'chat_auth_lookups_total',
  help: 'Token checks by result: hit (answered from the cache), miss (asked the auth service), refused, unavailable',
  labelNames: ['result'] as const,
});

export const errors = new Counter({
  name: 'chat_errors_total',
  help: 'Errors answered to clients or met by workers, by machine-readable code',
  labelNames: ['code', 'transport'] as const,
});

export const offlineParked = new Counter({
  name: 'chat_offline_parked_total',
  help: 'Events parked in a user offline queue (BullMQ) because the user had no live socket',
});

export const pushWindows = new Counter({
  name: 'chat_push_windows_total',
  help: 'Push windows closed (the messages parked for a user in a room within PUSH_COLLAPSE_MS), by outcome: sent (one push queued), muted (the room is muted), online (the user came back)',
  labelNames: ['outcome'] as const,
});

export const offlineDrained = new Counter({
  name: 'chat_offline_drained_total',
  help: 'Parked events delivered to a reconnecting user',
});

export const dependencyUp = new Gauge({
  name: 'chat_dependency_up',
  help: '1 when the dependency answered the last readiness check, else 0',
  labelNames: ['dependency'] as const,
});

const scrapeHooks: Array<() => Promise<void>> = [];

/** Registers work to do just before each scrape (reading queue depths); a slow hook is cut off, not awaited. */
export function onScrape(hook: () => Promise<void>): void {
  scrapeHooks.push(hook);
}

export async function runScrapeHooks(timeoutMs = 1500): Promise<void> {
  if (scrapeHooks.length === 0) return;
  let timer: NodeJS.Timeout | undefined;
  await Promise.race([
    Promise.allSettled(scrapeHooks.map((h) => h())),
    new Promise<void>((resolve) => {
      timer = setTimeout(resolve, timeoutMs);
    }),
  ]);
  clearTimeout(timer);
}

export const edgeDeliveries = new Counter({
  name: 'chat_edge_deliveries_received_total',
  help: 'Delivery envelopes this edge received, by how (own: its own channel; all: sent to every edge) and whether it held a recipient',
  labelNames: ['via', 'held'] as const,
});

export const moderationVerdicts = new Counter({
  name: 'chat_moderation_verdicts_total',
  help: 'Messages the persistence worker moderated, by what it did (allow, reject, redact) and what decided: hook (its answer), stored (the verdict a redelivered message got before, or the message already stored), unavailable (MODERATION_FAILURE, the hook not answering)',
  labelNames: ['action', 'source'] as const,
});

export const moderationRequests = new Histogram({
  name: 'chat_moderation_request_seconds',
  help: 'Time of each request to the moderation hook (one per batch), by outcome: ok, timeout (past MODERATION_TIMEOUT_MS), error (unreachable, not 2xx, or an answer that is not verdicts)',
  labelNames: ['outcome'] as const,
  buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
});

export const outboundDeliveries = new Counter({
  name: 'chat_outbound_total',
  help: 'Attempts of outgoing deliveries (webhook batches, push notifications), by kind and outcome: sent (2xx), retry (failed, tried again after a backoff), dead (failed its last attempt: a dead letter at /admin)',
  labelNames: ['kind', 'outcome'] as const,
});
