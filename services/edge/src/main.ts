import { createAdapter } from '@socket.io/redis-adapter';
import { Redis } from 'ioredis';
import pLimit from 'p-limit';
import { createServer } from 'node:http';
import { randomBytes } from 'node:crypto';
import { Server } from 'socket.io';
import { createAuthClient, TokenVerifier } from '@chat/auth';
import { brokerUp, buildTopology, connectBroker, Publisher, QueueAdmin } from '@chat/broker';
import { loadConfig } from '@chat/config';
import {
  CHAT_NAMESPACE_PATH,
  MAX_BLOCKS_PER_USER,
  MAX_CONTENT_LENGTH,
  type ClientToServerEvents,
  type InterServerEvents,
  type ServerToClientEvents,
} from '@chat/contracts';
import {
  adapterKey,
  DeliveryTraces,
  EdgeChannel,
  edgeChannel,
  LastSeen,
  ModerationReports,
  OfflineInbox,
  Presence,
  StageLag,
  StageTimes,
  OutboundQueue,
  reportWebhookEvent,
  Webhooks,
} from '@chat/delivery';
import { runService, waitFor } from '@chat/lifecycle';
import { createLogger } from '@chat/logging';
import { closeServer, initMetrics, observeStage, Readiness, stageSummary, startOpsServer } from '@chat/ops';
import {
  openStore,
  BlockStore,
  ConversationStore,
  CursorStore,
  detectStoreKind,
  GroupStore,
  MessageSearch,
  MessageStore,
  PinStore,
  pingStore,
  ReportStore,
  reportIdFor,
  RoomSettingsStore,
  UserSettingsStore,
} from '@chat/store';
import { RedisAcceptedLog } from './accepted-log';
import { RateLimits } from './rate-limits';
import { Admission } from './admission';
import { CachedBlocks } from './cached-blocks';
import { CachedConversations } from './cached-conversations';
import { mountAdmin } from './http/admin';
import { buildHttpApp } from './http/app';
import { clientAddressOf, trustedHops } from './http/client-address';
import { mountDemo } from './http/demo';
import { ReceiptBatcher } from './receipt-batcher';
import { ChatGateway } from './socket/gateway';
import type { ChatServer, ChatSocketData } from './socket/chat-socket';
import { ListConversationsUseCase } from './usecases/list-conversations/list-conversations.usecase';
import { ListOfflineUseCase } from './usecases/list-offline/list-offline.usecase';
import { OpenConversationUseCase } from './usecases/open-conversation/open-conversation.usecase';
import { ReadHistoryUseCase } from './usecases/read-history/read-history.usecase';
import { SendMessageUseCase } from './usecases/send-message/send-message.usecase';
import { SenderLanes } from './usecases/sender-lanes';
import { ReadMissedUseCase } from './usecases/read-missed/read-missed.usecase';
import { ChangeMessageUseCase } from './usecases/change-message/change-message.usecase';
import { ReactMessageUseCase } from './usecases/react-message/react-message.usecase';
import { MarkReceiptsUseCase } from './usecases/mark-receipts/mark-receipts.usecase';
import { MarkRoomReadUseCase } from './usecases/mark-room-read/mark-room-read.usecase';
import { UnreadCountsUseCase } from './usecases/unread-counts/unread-counts.usecase';
import { GroupCommandUseCase } from './usecases/group-command/group-command.usecase';
import { GroupQueriesUseCase } from './usecases/group-queries/group-queries.usecase';
import { RoomSummaries } from './usecases/room-summaries';
import { PresenceUseCase } from './usecases/presence/presence.usecase';
import { PinsUseCase } from './usecases/pins/pins.usecase';
import { RoomSettingsUseCase } from './usecases/room-settings/room-settings.usecase';
import { BlocksUseCase } from './usecases/blocks/blocks.usecase';
import { ModerationUseCase } from './usecases/reports/moderation.usecase';
import { ReportMessageUseCase } from './usecases/reports/report-message.usecase';
import { TraceMessageUseCase } from './usecases/trace-message/trace-message.usecase';
import { EphemeralRelay } from './ephemeral-relay';
import { RoomMembers } from './room-members';
import { SearchMessagesUseCase } from './usecases/search-messages/search-messages.usecase';

runService('edge', async () => {
  const config = loadConfig();
  const log = createLogger('edge', { level: config.LOG_LEVEL, instance: config.INSTANCE_ID });
  initMetrics('edge', config.INSTANCE_ID);
  const ns = config.CHAT_NAMESPACE;

  // infrastructure
  const redisOpts = { maxRetriesPerRequest: 3, connectionName: `edge-${config.INSTANCE_ID}` };
  const redis = new Redis(config.REDIS_URL, redisOpts);
  const pub = new Redis(config.REDIS_URL, redisOpts);
  const sub = new Redis(config.REDIS_URL, { ...redisOpts, maxRetriesPerRequest: null });
  // the per-request commands (rate limits, resend log, presence): commands issued in one tick go out as one
  // write. BullMQ keeps its own connection (`redis`), as its docs ask for plain connections.
  const cmd = new Redis(config.REDIS_URL, { ...redisOpts, enableAutoPipelining: true });
  for (const r of [redis, pub, sub, cmd]) r.on('error', (err) => log.warn({ err: err.message }, 'redis error'));
  await waitFor('Redis', 'Start redis-server or set REDIS_URL.', () => redis.ping(), log);

  const { db, models } = await openStore(config.MONGO_URL, `edge-${config.INSTANCE_ID}`, log, (what, hint, check) =>
    waitFor(what, hint, check, log),
  );

  const broker = connectBroker(config.RABBITMQ_URL, log, `edge-${config.INSTANCE_ID}`);
  const publisher = new Publisher(broker, buildTopology(ns, config.PARTITIONS), config.PUBLISH_TIMEOUT_MS);
  await waitFor('RabbitMQ', 'Start rabbitmq-server or set RABBITMQ_URL.', () => publisher.waitForConnect(), log);

  const authClient = createAuthClient(config.AUTH_GRPC_URL);
  const verifier = new TokenVerifier(authClient, {
    timeoutMs: config.AUTH_TIMEOUT_MS,
    cacheMax: config.AUTH_CACHE_MAX,
  });

  // search: a text index on MongoDB; FerretDB has none, so there a bounded scan (MessageSearch)
  const storeKind = await detectStoreKind(db);
  const search = new MessageSearch(models, storeKind, config.SEARCH_SCAN_LIMIT);
  await search.prepare();
  log.info({ storeKind, scanLimit: storeKind === 'ferretdb' ? config.SEARCH_SCAN_LIMIT : undefined }, 'search ready');

  // parts
  const conversationStore = new ConversationStore(models);
  const conversations = new CachedConversations(conversationStore);
  const messages = new MessageStore(models);
  const cursors = new CursorStore(models);
  const groups = new GroupStore(models);
  const blockStore = new BlockStore(models);
  // what the blocked are refused by is judged from a cache here; history and sync flag from a fresh read
  const readerBlocks = { blockedBy: (userId: string) => blockStore.blockedBy(userId, MAX_BLOCKS_PER_USER) };
  const blocks = new CachedBlocks(readerBlocks, config.BLOCK_CACHE_MS);
  // a user's inbox is read only while that user connects: a handle kept per connected user cost every idle socket a few KB
  const inbox = new OfflineInbox(redis, ns, 100);
  // outgoing deliveries: report.created is told from here; /admin lists and replays the dead letters
  const outbound = new OutboundQueue(redis, ns, { attempts: config.OUTBOUND_ATTEMPTS });
  const webhooks = new Webhooks(outbound, config.WEBHOOK_URLS);
  // this process's own delivery channel: a restarted edge gets a new one, so nothing meant for the
  // sockets of its previous life reaches it
  const edgeId = `${config.INSTANCE_ID.replace(/[^A-Za-z0-9._-]/g, '_')}.${randomBytes(4).toString('hex')}`;
  const presence = new Presence(cmd, ns, config.PRESENCE_TTL_MS, edgeId);
  const receipts = new ReceiptBatcher(publisher, log, {
    coalesceMs: config.RECEIPT_COALESCE_MS,
    coalesceMaxMs: config.RECEIPT_COALESCE_MAX_MS,
    perSecond: config.RECEIPTS_PER_SECOND,
  });
  const openConversation = new OpenConversationUseCase(conversations, blocks);
  const accepted = new RedisAcceptedLog(cmd, ns);
  const lanes = new SenderLanes();
  const topology = buildTopology(ns, config.PARTITIONS);
  const stageLagReader = new StageLag(redis, ns);
  // this edge's accepted-stage latencies go to the dashboard with every other process's (and it reads them all there)
  const stageTimes = new StageTimes(redis, ns);
  const stopStageTimes = stageTimes.startPublishing(`edge:${config.INSTANCE_ID}`, stageSummary);
  const admission = new Admission(
    {
      store: () => stageLagReader.read('persistence'),
      queued: async () => (await queueAdmin.stats(topology.persistQueues)).reduce((n, q) => n + q.messages, 0),
    },
    { maxLagMs: config.ADMISSION_MAX_LAG_MS, maxQueued: config.ADMISSION_MAX_QUEUED, pollMs: config.ADMISSION_POLL_MS },
    log,
  );
  const sendMessage = new SendMessageUseCase(conversations, publisher, accepted, lanes, undefined, admission, messages, blocks, {
    edgeId,
    accepted: (ms) => observeStage('accepted', ms),
  });
  const changeMessage = new ChangeMessageUseCase(messages, conversations, accepted, publisher, lanes, {
    editWindowMs: config.EDIT_WINDOW_MS,
    waitForStoreMs: config.PUBLISH_TIMEOUT_MS,
  });
  const reactMessage = new ReactMessageUseCase(messages, conversations, accepted, publisher, lanes, {
    waitForStoreMs: config.PUBLISH_TIMEOUT_MS,
  });
  const markReceipts = new MarkReceiptsUseCase(messages, conversations, publisher);
  const groupCommand = new GroupCommandUseCase(
    groups,
    publisher,
    lanes,
    { members: config.GROUP_MEMBER_LIMIT, groupsPerUser: config.MAX_GROUPS_PER_USER },
    undefined,
    blocks,
  );
  const summaries = new RoomSummaries(conversations, messages, cursors);
  const groupQueries = new GroupQueriesUseCase(groups, conversations, messages, summaries, cursors);
  const readMissed = new ReadMissedUseCase(
    conversations,
    messages,
    cursors,
    inbox,
    config.SYNC_LIMIT_PER_ROOM,
    (err) => log.warn({ err: err.message }, 'store unavailable during sync; serving the offline inbox'),
    pLimit(config.SYNC_CONCURRENCY),
    readerBlocks,
  );

  // typing and presence go from this edge straight to the edges holding their recipients (no broker, no store)
  const relay = new EphemeralRelay(presence, new EdgeChannel(cmd, ns));
  const presenceInfo = new PresenceUseCase({
    contactsOf: (userId) => conversationStore.contactsOf(userId),
    settings: new UserSettingsStore(models),
    lastSeen: new LastSeen(cmd, ns),
    relay: (env) => relay.send(env),
  });

  const limits = new RateLimits(cmd, ns, {
    windowS: config.RATE_WINDOW_S,
    writesPerUser: config.RATE_WRITES_PER_USER,
    restPerUser: config.RATE_REST_PER_USER,
    connectsPerIp: config.RATE_CONNECTS_PER_IP,
    restPerIp: config.RATE_REST_PER_IP,
    loginsPerIp: config.RATE_LOGINS_PER_IP,
  });
  const trustProxy = trustedHops(config.TRUST_PROXY);
  const readiness = new Readiness([
    { name: 'redis', check: () => redis.ping() },
    { name: 'mongodb', check: () => pingStore(db) },
    { name: 'rabbitmq', check: () => brokerUp(broker) },
    { name: 'auth', check: () => verifier.ping() },
  ]);
  const queueAdmin = new QueueAdmin(broker, topology);
  admission.start();
  const corsOrigins = config.CORS_ORIGINS.split(',')
    .map((o) => o.trim())
    .filter(Boolean);
  const app = buildHttpApp({
    limits,
    corsOrigins,
    trustProxy,
    verifier,
    log,
    openConversation,
    sendMessage,
    listConversations: new ListConversationsUseCase(conversations, summaries),
    changeMessage,
    reactMessage,
    markReceipts,
    markRoomRead: new MarkRoomReadUseCase(conversations, publisher),
    unreadCounts: new UnreadCountsUseCase(conversations, messages, cursors),
    groupCommand,
    groupQueries,
    readHistory: new ReadHistoryUseCase(conversations, messages, cursors, readerBlocks),
    listOffline: new ListOfflineUseCase(inbox),
    presence: presenceInfo,
    pins: new PinsUseCase(conversations, messages, new PinStore(models), cursors, accepted, publisher, lanes),
    roomSettings: new RoomSettingsUseCase(conversations, new RoomSettingsStore(models)),
    searchMessages: new SearchMessagesUseCase({ conversations, rooms: conversationStore, search, cursors }),
    blocks: new BlocksUseCase(blockStore, conversationStore, publisher, blocks),
    reportMessage: new ReportMessageUseCase(messages, conversations, publisher, reportIdFor, undefined, (cmd) =>
      webhooks.send([reportWebhookEvent(cmd)]),
    ),
    traceMessage: new TraceMessageUseCase(
      messages,
      conversations,
      cursors,
      accepted,
      new DeliveryTraces(cmd, ns, config.TRACE_TTL_S * 1000),
    ),
    extra: (a) => {
      const moderation = new ModerationUseCase(new ReportStore(models), publisher);
      const moderationHook = new ModerationReports(redis, ns);
      mountAdmin(a, { verifier, queues: queueAdmin, redis, namespace: ns, log, limits, moderation, moderationHook, stageTimes, outbound });
      if (config.DEMO_ENABLED === 'true') {
        mountDemo(a, authClient, config.AUTH_TIMEOUT_MS);
        log.warn('demo enabled at /demo: it hands out tokens for its test users');
      }
    },
  });
  const http = createServer(app);
  const io: ChatServer = new Server<ClientToServerEvents, ServerToClientEvents, InterServerEvents, ChatSocketData>(http, {
    adapter: createAdapter(pub, sub, { key: adapterKey(ns) }),
    maxHttpBufferSize: MAX_CONTENT_LENGTH * 4 + 4096,
    serveClient: false,
    cors: { origin: corsOrigins.length > 0 ? corsOrigins : false },
  });
  const gateway = new ChatGateway(io.of(CHAT_NAMESPACE_PATH), {
    verifier,
    presence,
    inbox,
    receipts,
    openConversation,
    sendMessage,
    changeMessage,
    reactMessage,
    markReceipts,
    readMissed,
    log,
    limits,
    maxSocketsPerUser: config.MAX_SOCKETS_PER_USER,
    clientAddress: clientAddressOf(trustProxy),
    presenceTtlMs: config.PRESENCE_TTL_MS,
    gateRepeats: config.UNSAFE_GATE_REPEATS === 'true',
    typing: { members: new RoomMembers(conversations), relay: (env) => relay.send(env), stopAfterMs: config.TYPING_STOP_MS },
    presenceInfo: { useCase: presenceInfo, graceMs: config.PRESENCE_GRACE_MS },
  });
  if (config.UNSAFE_GATE_REPEATS === 'true')
    log.warn('UNSAFE_GATE_REPEATS: sockets are handed messages they already have (fault-test check only)');
  gateway.start();
  // this edge's share of every delivery batch (fanout reads from presence which edge holds a user). On the
  // adapter's subscriber: ioredis subscribes it again after a reconnect, and the hold and catch-up below
  // cover what was published meanwhile.
  const myChannel = edgeChannel(ns, edgeId);
  sub.on('smessage', (channel: string, text: string) => {
    if (channel !== myChannel) return;
    let envelopes: unknown;
    try {
      envelopes = JSON.parse(text);
    } catch {
      log.warn({ channel }, 'unreadable delivery batch dropped');
      return;
    }
    gateway.deliverLocal(envelopes, 'own');
  });
  await sub.ssubscribe(myChannel);
  log.info({ edgeId }, 'receiving deliveries for this edge');
  // after the adapter's subscriber reconnects (and re-subscribes), catch everyone up: pub/sub messages
  // published while it was away are gone, though the messages themselves are in the store. Deliveries are
  // held from the moment the connection drops (and again when it is back, for sockets whose connect-time
  // sync finished meanwhile): one handed between the resubscription and the catch-up would hide the lost
  // ones behind it for good (test/subscriber-loss.test.ts).
  let subscribedOnce = sub.status === 'ready';
  sub.on('close', () => {
    if (subscribedOnce) gateway.holdAll();
  });
  sub.on('ready', () => {
    if (!subscribedOnce) {
      subscribedOnce = true;
      return;
    }
    gateway.holdAll();
    setTimeout(() => gateway.catchUpAll('Redis adapter subscription restored'), 500).unref();
  });

  // health and metrics on their own port, kept off the public one (probes and Prometheus reach it in-cluster)
  const ops = await startOpsServer(config.OPS_PORT, readiness, log);
  await new Promise<void>((resolve) => http.listen(config.PORT, resolve));
  log.info({ port: config.PORT }, 'edge listening');

  return {
    log,
    // the drain window, then the rest of the stop
    stopTimeoutMs: config.DRAIN_WINDOW_MS + 20_000,
    stop: async () => {
      readiness.drain();
      void closeServer(ops);
      admission.stop();
      stopStageTimes();
      gateway.stop();
      // clients reconnect to another edge, spread over the window; their sync there picks up anything in
      // flight here
      const sockets = gateway.sockets.all().length;
      if (sockets > 0) log.info({ sockets, windowMs: config.DRAIN_WINDOW_MS }, 'draining: sending the sockets to other edges');
      await gateway.drain(config.DRAIN_WINDOW_MS);
      io.of(CHAT_NAMESPACE_PATH).disconnectSockets(true);
      // the callback waits for the HTTP server to close; the promise carries any failure of closing the adapters
      await new Promise<void>((resolve, reject) => void io.close(() => resolve()).catch(reject));
      await receipts.flush();
      await Promise.all(gateway.sockets.all().map((s) => presence.offline(s.userId, s.socket.id).catch(() => undefined)));
      await publisher.close();
      await queueAdmin.close();
      await broker.close();
      await inbox.close();
      await outbound.close();
      await db.close();
      redis.disconnect();
      cmd.disconnect();
      pub.disconnect();
      sub.disconnect();
    },
  };
});
