import 'reflect-metadata';
import { plainToInstance, Transform } from 'class-transformer';
import { IsIn, IsInt, IsOptional, IsString, Matches, Max, Min, MinLength, validateSync } from 'class-validator';
import { hostname } from 'node:os';

/** The development secret; refused in production, like every other published value below. */
const DEV_JWT_SECRET = 'dev-only-secret-change-me-in-production';
/** Secrets printed in this repository (old compose default, .env.example): known to everyone, so refused in production. */
export const KNOWN_SECRETS: readonly string[] = [
  DEV_JWT_SECRET,
  'change-me-compose-secret-0123456789',
  'replace-with-openssl-rand-base64-48-output',
  'replace-with-another-openssl-rand-base64-48-output',
];
/** RFC 8725 section 3.5: an HMAC key at least as long as the hash output (HS256: 32 bytes). */
export const MIN_SECRET_BYTES = 32;

const toInt = ({ value }: { value: unknown }) => (value === undefined || value === '' ? undefined : Number(value));

/** Every environment variable the project reads. Names are contracts: docker-compose and deploy/ use them. */
class EnvVars {
  @IsIn(['development', 'test', 'production']) NODE_ENV = 'development';
  @IsIn(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']) LOG_LEVEL = 'info';
  /** Prefix of every broker name, Redis key and queue: lets a test stack share servers with a dev stack. */
  @Matches(/^[a-z][a-z0-9-]{0,30}$/) CHAT_NAMESPACE = 'chat';
  @IsOptional() @IsString() INSTANCE_ID?: string;

  @Transform(toInt) @IsInt() @Min(0) @Max(65535) PORT = 3000;
  /** Every process serves /healthz, /readyz and /metrics on this port, never on the public PORT. */
  @Transform(toInt) @IsInt() @Min(0) @Max(65535) OPS_PORT = 9464;
  @Matches(/^[^\s:]+:\d+$/) AUTH_GRPC_URL = '127.0.0.1:50051';
  @Transform(toInt) @IsInt() @Min(50) @Max(60000) AUTH_TIMEOUT_MS = 2000;
  @Transform(toInt) @IsInt() @Min(0) @Max(1_000_000) AUTH_CACHE_MAX = 100_000;

  @IsString() @MinLength(16) JWT_SECRET = DEV_JWT_SECRET;
  /**
   * Auth: the credential a caller of GenerateToken sends (gRPC metadata `x-chat-mint-key`). Required in
   * production; in development GenerateToken is open to anyone who reaches the auth service.
   */
  @IsOptional() @IsString() AUTH_MINT_KEY?: string;
  /** Auth: a second credential that may also mint role "admin"; unset, no caller gets an admin token in production. */
  @IsOptional() @IsString() AUTH_ADMIN_MINT_KEY?: string;
  @IsString() JWT_ISSUER = 'chat-auth';
  @IsString() JWT_AUDIENCE = 'chat';
  @Transform(toInt) @IsInt() @Min(1) @Max(30 * 86400) JWT_TTL_SECONDS = 3600;

  @Matches(/^mongodb(\+srv)?:\/\/.+/) MONGO_URL = 'mongodb://127.0.0.1:27018/chat';
  @Matches(/^amqps?:\/\/.+/) RABBITMQ_URL = 'amqp://guest:guest@127.0.0.1:5672';
  @Matches(/^rediss?:\/\/.+/) REDIS_URL = 'redis://127.0.0.1:6379';

  @Transform(toInt) @IsInt() @Min(1) @Max(2000) BROKER_PREFETCH = 200;
  @Transform(toInt) @IsInt() @Min(1) @Max(1000) BATCH_MAX = 200;
  @Transform(toInt) @IsInt() @Min(100) @Max(60000) PUBLISH_TIMEOUT_MS = 5000;
  /** Persistence: how long a merged insert command waits for more batches' inserts (0: only those of the same event-loop turn; see InsertCoalescer). */
  @Transform(toInt) @IsInt() @Min(0) @Max(100) INSERT_LINGER_MS = 0;
  /** Persistence: a room's summary (last message, last seq) is written at most this long after what it does not show yet. */
  @Transform(toInt) @IsInt() @Min(50) @Max(600000) SUMMARY_FLUSH_MS = 10000;
  /** Persistence: a room quiet for this long gets its last summary written and its tail closed (readers stop reading it). */
  @Transform(toInt) @IsInt() @Min(50) @Max(600000) SUMMARY_IDLE_MS = 5000;
  /** Edges refresh their sockets every third of it; an entry with less than a third left counts as lapsed. */
  @Transform(toInt) @IsInt() @Min(3000) @Max(600000) PRESENCE_TTL_MS = 60000;
  /** Edge: a user whose last socket closed is announced offline only after this long without a new one (a reconnect does not flap). */
  @Transform(toInt) @IsInt() @Min(0) @Max(60000) PRESENCE_GRACE_MS = 4000;
  /** Edge: a typing start not refreshed for this long is ended for the room's other members (isTyping false). */
  @Transform(toInt) @IsInt() @Min(500) @Max(60000) TYPING_STOP_MS = 6000;
  @Transform(toInt) @IsInt() @Min(1000) @Max(86_400_000) EDIT_WINDOW_MS = 15 * 60 * 1000;
  @Transform(toInt) @IsInt() @Min(1) @Max(100000) SYNC_LIMIT_PER_ROOM = 5000;
  @Transform(toInt) @IsInt() @Min(1) @Max(1000) SYNC_CONCURRENCY = 16;
  /** Edge, on FerretDB (no text index): most messages one search reads, newest first across the rooms searched. */
  @Transform(toInt) @IsInt() @Min(100) @Max(1_000_000) SEARCH_SCAN_LIMIT = 2000;
  @Transform(toInt) @IsInt() @Min(2) @Max(100000) GROUP_MEMBER_LIMIT = 1000;
  /**
   * Edge: how long a user's blocks are cached for the checks that refuse the blocked (0: read every time);
   * the persistence worker and the group worker judge again with what is current.
   */
  @Transform(toInt) @IsInt() @Min(0) @Max(600000) BLOCK_CACHE_MS = 30000;
  /** The groups one user may be in: creating, being added or accepting beyond it is refused (LIMIT_REACHED). */
  @Transform(toInt) @IsInt() @Min(1) @Max(100000) MAX_GROUPS_PER_USER = 500;
  /**
   * Partition queues per stage (at most this many active copies of each worker). Every service must run
   * with the same value; changing it needs the stop in docs/operations.md ("Changing the partition count").
   */
  @Transform(toInt) @IsInt() @Min(1) @Max(256) PARTITIONS = 8;
  /** Edge: at most one automatic delivered receipt per (user, room) per this interval; the ones between are merged. */
  @Transform(toInt) @IsInt() @Min(100) @Max(60000) RECEIPT_COALESCE_MS = 1000;
  /** Edge: under load the interval above stretches up to this, aiming at RECEIPTS_PER_SECOND commands a second per edge. */
  @Transform(toInt) @IsInt() @Min(100) @Max(60000) RECEIPT_COALESCE_MAX_MS = 5000;
  @Transform(toInt) @IsInt() @Min(1) @Max(100000) RECEIPTS_PER_SECOND = 100;
  /** Edge: sends are refused with BUSY (retry later) while the persistence workers' lag is above this. */
  @Transform(toInt) @IsInt() @Min(100) @Max(3_600_000) ADMISSION_MAX_LAG_MS = 2000;
  /** Edge: ... or while more than this many commands wait in the persistence queues (workers down or stalled). */
  @Transform(toInt) @IsInt() @Min(1) @Max(100_000_000) ADMISSION_MAX_QUEUED = 20000;
  /** Edge: on SIGTERM its sockets are told to reconnect elsewhere at moments spread uniformly over this window (0: at once). */
  @Transform(toInt) @IsInt() @Min(0) @Max(600000) DRAIN_WINDOW_MS = 10000;
  /** Edge: how often the two signals above are read. */
  @Transform(toInt) @IsInt() @Min(50) @Max(60000) ADMISSION_POLL_MS = 250;

  /** Rate limits (per window of RATE_WINDOW_S seconds): writes per user, REST calls per user, connects per IP. */
  @Transform(toInt) @IsInt() @Min(1) @Max(3600) RATE_WINDOW_S = 10;
  @Transform(toInt) @IsInt() @Min(1) @Max(10_000_000) RATE_WRITES_PER_USER = 1000;
  @Transform(toInt) @IsInt() @Min(1) @Max(10_000_000) RATE_REST_PER_USER = 2000;
  @Transform(toInt) @IsInt() @Min(1) @Max(10_000_000) RATE_CONNECTS_PER_IP = 2000;
  /** REST calls per client address, counted before the token is checked (bogus tokens cost no auth call past it). */
  @Transform(toInt) @IsInt() @Min(1) @Max(10_000_000) RATE_REST_PER_IP = 5000;
  /** Sign-in attempts at /admin/login per client address. */
  @Transform(toInt) @IsInt() @Min(1) @Max(10_000_000) RATE_LOGINS_PER_IP = 20;
  /**
   * Edge: the proxies in front of it whose X-Forwarded-For is believed (comma-separated addresses or CIDRs,
   * or the names loopback, linklocal, uniquelocal); empty: the peer address is the client's.
   */
  @Matches(/^[\w.:/, -]*$/) TRUST_PROXY = '';
  /**
   * Fanout, receipts: how long a message's delivery-trace record (its fan-out, in Redis) is kept; 0 keeps
   * none (traces then show fannedOut: null). About 250 bytes of Redis per message sent in that time.
   */
  @Transform(toInt) @IsInt() @Min(0) @Max(30 * 86_400) TRACE_TTL_S = 600;
  /** Fanout: most items parked per offline user; older parked messages are dropped (the store still has them). */
  @Transform(toInt) @IsInt() @Min(10) @Max(1_000_000) OFFLINE_INBOX_MAX = 10_000;
  /** Live sockets one user may hold across all edges (a soft cap, checked at connect). */
  @Transform(toInt) @IsInt() @Min(1) @Max(10000) MAX_SOCKETS_PER_USER = 20;
  /** Serve the demo web chat at /demo, which hands out tokens for fixed test users: never where real users are. */
  @IsIn(['true', 'false']) DEMO_ENABLED = 'false';
  /**
   * UNSAFE, test-only: the persistence worker acks a command before storing it, so a crash loses it. The
   * fault tests turn it on once to prove that they can see loss. Refused in production.
   */
  @IsIn(['true', 'false']) UNSAFE_ACK_BEFORE_WRITE = 'false';
  /**
   * UNSAFE, test-only: a worker whose batch failed on a dependency hands its deliveries back to the broker
   * (requeued behind the ones it already holds) instead of retrying them in order. The fault tests turn it on
   * once to prove they can see a room stored out of send order. Refused in production.
   */
  @IsIn(['true', 'false']) UNSAFE_REQUEUE_FAILED = 'false';
  /**
   * UNSAFE, test-only: an edge's per-socket gate lets a message through again that the socket was already
   * handed. The fault tests turn it on once to prove they can see a message shown twice. Refused in production.
   */
  @IsIn(['true', 'false']) UNSAFE_GATE_REPEATS = 'false';
  /**
   * Persistence: the moderation hook each batch of new messages is posted to before it is stored (unset:
   * no moderation, and no cost). Any http(s) URL; credentials go in a header, not in the URL.
   */
  @IsOptional()
  @Matches(/^https?:\/\/[^\s/@]+(\/\S*)?$/, { message: 'MODERATION_URL must be an http(s) URL without credentials' })
  MODERATION_URL?: string;
  /** Persistence: what a message gets when the hook does not answer in time or answers nonsense: delivered (open) or rejected (closed). */
  @IsIn(['open', 'closed']) MODERATION_FAILURE: 'open' | 'closed' = 'open';
  /** Persistence: how long a batch waits for the hook's answer. */
  @Transform(toInt) @IsInt() @Min(50) @Max(60000) MODERATION_TIMEOUT_MS = 2000;
  /** Persistence: signs each hook request (X-Chat-Signature over X-Chat-Timestamp and the body, as webhooks are); unset: unsigned. */
  @IsOptional() @IsString() @MinLength(16) MODERATION_SECRET?: string;
  /**
   * Fanout: receivers of the signed outgoing webhooks (comma-separated http(s) URLs; empty: none). Each
   * gets every event batch, signed with WEBHOOK_SECRET, which must then be set.
   */
  @Matches(/^(https?:\/\/[^\s,/@]+(\/[^\s,]*)?)?(\s*,\s*https?:\/\/[^\s,/@]+(\/[^\s,]*)?)*$/, {
    message: 'WEBHOOK_URLS must be comma-separated http(s) URLs without credentials',
  })
  WEBHOOK_URLS = '';
  @IsOptional() @IsString() @MinLength(16) WEBHOOK_SECRET?: string;
  /** Fanout: attempts per outgoing delivery (webhook, push) before it is a dead letter at /admin. */
  @Transform(toInt) @IsInt() @Min(1) @Max(100) OUTBOUND_ATTEMPTS = 15;
  /** Fanout, receipts, edge: dead letters kept, the newest (Redis runs noeviction: a receiver gone for good must not fill it). */
  @Transform(toInt) @IsInt() @Min(1) @Max(1_000_000) OUTBOUND_DEAD_LETTERS_MAX = 10_000;
  /** Fanout: how long one outgoing POST may take before the attempt counts as failed. */
  @Transform(toInt) @IsInt() @Min(100) @Max(60000) OUTBOUND_TIMEOUT_MS = 5000;
  /**
   * Fanout: the push gateway (FCM/APNs adapters) told of messages parked for offline receivers (unset: no
   * push). Each push is signed with PUSH_SECRET, which must then be set.
   */
  @IsOptional()
  @Matches(/^https?:\/\/[^\s/@]+(\/\S*)?$/, { message: 'PUSH_URL must be an http(s) URL without credentials' })
  PUSH_URL?: string;
  @IsOptional() @IsString() @MinLength(16) PUSH_SECRET?: string;
  /** Fanout: the messages parked for a user in a room within this long of the first make one push. */
  @Transform(toInt) @IsInt() @Min(100) @Max(3_600_000) PUSH_COLLAPSE_MS = 3000;
  /** Browser origins allowed by CORS (comma-separated); empty: no cross-origin browser access. */
  @IsString() CORS_ORIGINS = '';
}

/** Variables with no default (not own keys of a fresh EnvVars). */
const OPTIONAL = [
  'INSTANCE_ID',
  'AUTH_MINT_KEY',
  'AUTH_ADMIN_MINT_KEY',
  'MODERATION_URL',
  'MODERATION_SECRET',
  'WEBHOOK_SECRET',
  'PUSH_URL',
  'PUSH_SECRET',
];

export type Config = Readonly<Omit<EnvVars, 'INSTANCE_ID'> & { INSTANCE_ID: string }>;

/** What the process uses, so production checks ask only for the credentials it needs. */
export interface ConfigUse {
  /** Connects to RabbitMQ (every service but auth): refuse the `guest` account in production. */
  broker?: boolean;
  /** Is the auth service: needs a real mint credential in production. */
  mints?: boolean;
}

export class ConfigError extends Error {}

/** Variables whose values an error message leaves out. */
const HIDDEN = /SECRET|KEY|PASSWORD|TOKEN|_URLS?$/;

/** Reads the environment once, validates it, and returns a frozen typed object; throws naming each bad variable. */
export function loadConfig(env: NodeJS.ProcessEnv = process.env, use: ConfigUse = { broker: true }): Config {
  const known = Object.keys(new EnvVars());
  const input: Record<string, string> = {};
  for (const key of [...known, ...OPTIONAL]) {
    const v = env[key];
    if (v !== undefined && v !== '') input[key] = v;
  }
  const parsed = plainToInstance(EnvVars, input);
  const errors = validateSync(parsed, { whitelist: true });
  if (errors.length > 0) {
    // a secret or a URL (which may carry credentials) is named, never printed: start-up errors end up in logs
    const shown = (key: string) => (HIDDEN.test(key) ? '(hidden)' : JSON.stringify(input[key]));
    const lines = errors.map((e) => `  ${e.property}=${shown(e.property)}: ${Object.values(e.constraints ?? {}).join('; ')}`);
    throw new ConfigError(`invalid configuration:\n${lines.join('\n')}`);
  }
  // unsigned webhooks would let anyone who can reach a receiver forge events
  if (webhookUrls(parsed).length > 0 && !parsed.WEBHOOK_SECRET)
    throw new ConfigError('invalid configuration:\n  WEBHOOK_SECRET: must be set when WEBHOOK_URLS is');
  if (parsed.PUSH_URL && !parsed.PUSH_SECRET) throw new ConfigError('invalid configuration:\n  PUSH_SECRET: must be set when PUSH_URL is');
  if (parsed.NODE_ENV === 'production') {
    const refusals = productionRefusals(parsed, use);
    if (refusals.length > 0) throw new ConfigError(`invalid configuration for production:\n${refusals.map((r) => `  ${r}`).join('\n')}`);
  }
  return Object.freeze({ ...parsed, INSTANCE_ID: parsed.INSTANCE_ID ?? `${hostname()}-${process.pid}` });
}

function weakSecret(value: string | undefined): string | undefined {
  if (!value) return 'must be set';
  if (KNOWN_SECRETS.includes(value)) return 'is a published example value';
  if (Buffer.byteLength(value, 'utf8') < MIN_SECRET_BYTES) return `must be at least ${MIN_SECRET_BYTES} bytes`;
  return undefined;
}

/** Settings that are fine on a laptop and dangerous where real users are; each line names the variable. */
function productionRefusals(c: EnvVars, use: ConfigUse): string[] {
  const out: string[] = [];
  // the development default counts as unset: nobody chose it
  const jwt = weakSecret(c.JWT_SECRET === DEV_JWT_SECRET ? undefined : c.JWT_SECRET);
  if (jwt) out.push(`JWT_SECRET: ${jwt}`);
  if (use.mints) {
    const mint = weakSecret(c.AUTH_MINT_KEY);
    if (mint) out.push(`AUTH_MINT_KEY: ${mint}`);
    if (c.AUTH_ADMIN_MINT_KEY !== undefined) {
      const admin = weakSecret(c.AUTH_ADMIN_MINT_KEY);
      if (admin) out.push(`AUTH_ADMIN_MINT_KEY: ${admin}`);
      else if (c.AUTH_ADMIN_MINT_KEY === c.AUTH_MINT_KEY) out.push('AUTH_ADMIN_MINT_KEY: must differ from AUTH_MINT_KEY');
    }
  }
  if (use.broker) {
    // amqplib logs in as guest when the URL names no user
    let user: string;
    try {
      user = decodeURIComponent(new URL(c.RABBITMQ_URL).username);
    } catch {
      user = '';
    }
    if (user === '' || user === 'guest') out.push('RABBITMQ_URL: the guest account (or no user) is not allowed in production');
  }
  // a /0 hop believes anyone's X-Forwarded-For: every client could claim any address and dodge per-IP limits
  if (c.TRUST_PROXY.split(',').some((h) => /\/0$/.test(h.trim())))
    out.push('TRUST_PROXY: a /0 range trusts every peer; name the proxy hops in front of the edge');
  if (webhookUrls(c).length > 0) {
    const hook = weakSecret(c.WEBHOOK_SECRET);
    if (hook) out.push(`WEBHOOK_SECRET: ${hook}`);
  }
  if (c.PUSH_URL) {
    const push = weakSecret(c.PUSH_SECRET);
    if (push) out.push(`PUSH_SECRET: ${push}`);
  }
  if (c.MODERATION_SECRET !== undefined) {
    const mod = weakSecret(c.MODERATION_SECRET);
    if (mod) out.push(`MODERATION_SECRET: ${mod}`);
  }
  if (c.DEMO_ENABLED === 'true') out.push('DEMO_ENABLED: the demo hands out tokens for its test users; not allowed in production');
  for (const [key, harm] of [
    ['UNSAFE_ACK_BEFORE_WRITE', 'loses acknowledged messages'],
    ['UNSAFE_REQUEUE_FAILED', 'stores messages out of send order'],
    ['UNSAFE_GATE_REPEATS', 'shows messages twice'],
  ] as const) {
    if (c[key] === 'true') out.push(`${key}: ${harm}; not allowed in production`);
  }
  return out;
}

/** The names of every variable loadConfig reads (used by the deployment-file checks). */
export function configVariableNames(): string[] {
  return [...Object.keys(new EnvVars()), ...OPTIONAL];
}

/** The webhook receivers WEBHOOK_URLS lists. */
export function webhookUrls(c: Pick<Config, 'WEBHOOK_URLS'>): string[] {
  return c.WEBHOOK_URLS.split(',')
    .map((u) => u.trim())
    .filter((u) => u !== '');
}
