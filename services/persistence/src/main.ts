import { randomUUID } from 'node:crypto';
import { BatchConsumer, brokerUp, buildTopology, connectBroker, exportQueueDepths, QueueAdmin, Publisher, TransientError, type Outcome } from '@chat/broker';
import { loadConfig } from '@chat/config';
import { AppError, decodeRoomCommand, RoutingKeys, type RoomCommand } from '@chat/contracts';
import { runService, waitFor } from '@chat/lifecycle';
import { createLogger } from '@chat/logging';
import { StageLag } from '@chat/delivery';
import { closeServer, initMetrics, Readiness, stageLag, startOpsServer, timed } from '@chat/ops';
import { Redis } from 'ioredis';
import { openStore, ConversationStore, GroupStore, isStoreUnavailable, MessageStore, pingStore, withStoreDeadline } from '@chat/store';
import { InsertCoalescer } from './insert-coalescer';
import { RoomHeads } from './room-heads';
import { ApplyGroupCommandUseCase } from './usecases/apply-group-command/apply-group-command.usecase';
import { ApplyRoomCommandsUseCase } from './usecases/apply-room-commands/apply-room-commands.usecase';
import { ChangeMessageUseCase } from './usecases/change-message/change-message.usecase';
import { StoreMessagesUseCase } from './usecases/store-messages/store-messages.usecase';

runService('persistence', async () => {
  const config = loadConfig();
  const log = createLogger('persistence', { level: config.LOG_LEVEL, instance: config.INSTANCE_ID });
  initMetrics('persistence', config.INSTANCE_ID);
  const topology = buildTopology(config.CHAT_NAMESPACE, config.PARTITIONS);

  const { db, models } = await openStore(config.MONGO_URL, `persistence-${config.INSTANCE_ID}`, log, (what, hint, check) => waitFor(what, hint, check, log));
  const messages = new MessageStore(models);
  const conversations = new ConversationStore(models);
  const groups = new GroupStore(models);
  // a deadline on the hot path's store calls: one the driver left hanging after a cut connection would hold
  // its partition (and, for the merged insert, every partition) for good; the batch is retried instead
  const inserts = new InsertCoalescer(
    timed('message.insertMany', (docs) => withStoreDeadline(messages.insertIdempotent(docs), 30_000, 'insert')),
    isStoreUnavailable,
    { lingerMs: config.INSERT_LINGER_MS },
  );
  const heads = new RoomHeads(
    {
      loadHead: timed('conversation.loadHead', (roomId: string) => conversations.loadHead(roomId)),
      openTail: timed('conversation.openTail', (roomId: string, owner: string) => conversations.openTail(roomId, owner)),
      writeSummary: timed('conversation.writeSummary', (...a: Parameters<ConversationStore['writeSummary']>) => conversations.writeSummary(...a)),
    },
    { owner: `${config.INSTANCE_ID}:${randomUUID().slice(0, 8)}`, flushMs: config.SUMMARY_FLUSH_MS, idleMs: config.SUMMARY_IDLE_MS },
  );
  const storeMessages = new StoreMessagesUseCase(
    { findByIds: timed('message.findByIds', (ids) => withStoreDeadline(messages.findByIds(ids), 30_000, 'findByIds')), insertIdempotent: (docs) => inserts.insertIdempotent(docs) },
    heads,
  );
  const applyCommands = new ApplyRoomCommandsUseCase(
    storeMessages,
    new ChangeMessageUseCase(
      {
        findByIds: (ids) => messages.findByIds(ids),
        applyEdit: (id, content, at, changedSeq) => messages.applyEdit(id, content, at, changedSeq),
        applyDelete: (id, at, changedSeq) => messages.applyDelete(id, at, changedSeq),
        updateLastMessage: async (room, id, patch) => {
          heads.patchLastMessage(room, id, patch);
          await heads.exclusive(room, () => conversations.updateLastMessage(room, id, patch));
        },
        groupMembers: async (groupId) => (await groups.get(groupId))?.participants ?? [],
      },
      config.EDIT_WINDOW_MS,
      (roomId) => storeMessages.stampChange(roomId),
    ),
    new ApplyGroupCommandUseCase(
      {
        get: (id) => groups.get(id),
        create: (...a) => groups.create(...a),
        // never at the same time as the group's summary write (see RoomHeads.exclusive)
        save: (id, ...a) => heads.exclusive(id, () => groups.save(id, ...a)),
        getInvite: (id) => groups.getInvite(id),
        createInvite: (i) => groups.createInvite(i),
        answerInvite: (...a) => groups.answerInvite(...a),
      },
      config.GROUP_MEMBER_LIMIT,
      (groupId) => heads.lastSeqOf(groupId),
    ),
  );
  // summaries written behind: due ones every quarter interval, every one (tails closed) on stop
  let flushing: Promise<unknown> = Promise.resolve();
  const flushTimer = setInterval(() => {
    flushing = heads.flush().then(
      (r) => r.failed > 0 && log.warn({ failed: r.failed }, 'room summaries not written; trying again'),
      (err) => log.warn({ err: (err as Error).message }, 'room summary flush failed'),
    );
  }, Math.max(50, Math.floor(Math.min(config.SUMMARY_FLUSH_MS, config.SUMMARY_IDLE_MS) / 4)));
  flushTimer.unref();

  const broker = connectBroker(config.RABBITMQ_URL, log, `persistence-${config.INSTANCE_ID}`);
  const publisher = new Publisher(broker, topology, config.PUBLISH_TIMEOUT_MS);
  await waitFor('RabbitMQ', 'Start rabbitmq-server or set RABBITMQ_URL.', () => publisher.waitForConnect(), log);

  const consumer = new BatchConsumer<RoomCommand>(
    broker,
    topology,
    {
      queues: topology.persistQueues,
      prefetch: config.BROKER_PREFETCH,
      ackOnReceipt: config.UNSAFE_ACK_BEFORE_WRITE === 'true',
      requeueFailed: config.UNSAFE_REQUEUE_FAILED === 'true',
      // the partitions may have had another owner since: read their rooms again
      onChannel: () => heads.forgetAll(),
      batchMax: config.BATCH_MAX,
      decode: decodeRoomCommand,
      handle: async (batch): Promise<Outcome[]> => {
        const t0 = performance.now();
        let events;
        try {
          events = await applyCommands.execute(batch.map((d) => d.payload));
        } catch (err) {
          if (isStoreUnavailable(err)) throw new TransientError((err as Error).message);
          throw err;
        }
        const t1 = performance.now();
        // the persisted event must be confirmed before the command is acked, or a crash here would lose delivery
        await Promise.all(
          events.map(async (ev) => {
            if (!ev) return;
            const roomId = ev.type === RoutingKeys.messagePersisted ? ev.message.roomId : ev.type === RoutingKeys.groupChanged ? ev.groupId : ev.roomId;
            const key = topology.route(ev.type, roomId);
            try {
              await publisher.publishConfirmed(key, ev, { correlationId: ev.correlationId });
            } catch (err) {
              throw err instanceof AppError ? new TransientError(err.message) : err;
            }
          }),
        );
        log.debug({ size: batch.length, storeMs: Math.round(t1 - t0), publishMs: Math.round(performance.now() - t1) }, 'batch applied');
        events.forEach((ev, i) => {
          if (!ev) log.error({ correlationId: batch[i].payload.correlationId, command: batch[i].payload.type }, 'room does not exist; dead-lettered');
          else if (ev.type === RoutingKeys.messagePersisted) log.debug({ correlationId: ev.correlationId, messageId: ev.message.id, seq: ev.message.seq, replay: ev.replay }, 'stored');
          else if (ev.type === RoutingKeys.groupChanged) log.debug({ correlationId: ev.correlationId, groupId: ev.groupId, op: ev.op, outcome: ev.outcome }, 'group changed');
          else log.debug({ correlationId: ev.correlationId, messageId: ev.messageId, change: ev.change, outcome: ev.outcome }, 'changed');
        });
        return events.map((ev) => (ev ? 'ack' : 'dead'));
      },
    },
    log,
  );
  await consumer.waitForConnect();
  // the lag the edges admit sends by (best effort: without Redis they fall back to the queue depth)
  const redis = new Redis(config.REDIS_URL, { maxRetriesPerRequest: 1, enableOfflineQueue: false, connectionName: `persistence-${config.INSTANCE_ID}` });
  redis.on('error', () => undefined);
  const lag = new StageLag(redis, config.CHAT_NAMESPACE);
  const lagTimer = setInterval(() => {
    const ms = consumer.lagMs();
    stageLag.set({ stage: 'persistence' }, ms / 1000);
    lag.report('persistence', config.INSTANCE_ID, { lagMs: ms, inHand: consumer.inHand(), perSecond: consumer.capacityPerSecond() }).catch(() => undefined);
  }, 250);
  lagTimer.unref();
  const readiness = new Readiness([
    { name: 'mongodb', check: () => pingStore(db) },
    { name: 'rabbitmq', check: () => brokerUp(broker) },
  ]);
  const queueAdmin = new QueueAdmin(broker, topology);
  exportQueueDepths(queueAdmin, topology, topology.persistQueues);
  const ops = await startOpsServer(config.OPS_PORT, readiness, log);
  if (config.UNSAFE_REQUEUE_FAILED === 'true') log.warn('UNSAFE_REQUEUE_FAILED: a batch that fails on the store is requeued behind later ones; rooms get out of order (fault-test check only)');
  if (config.UNSAFE_ACK_BEFORE_WRITE === 'true') log.warn('UNSAFE_ACK_BEFORE_WRITE: commands are acked before they are stored; a crash loses them (fault-test check only)');
  log.info({ queues: topology.persistQueues.length, prefetch: config.BROKER_PREFETCH }, 'persistence worker consuming');

  return {
    log,
    stop: async () => {
      readiness.drain();
      clearInterval(lagTimer);
      await lag.forget('persistence', config.INSTANCE_ID).catch(() => undefined);
      await consumer.close();
      clearInterval(flushTimer);
      await flushing;
      const last = await heads.flush(true).catch((err: Error) => ({ written: 0, failed: -1, err: err.message }));
      log.info(last, 'room summaries written on stop');
      await queueAdmin.close();
      await publisher.close();
      await broker.close();
      await db.close();
      redis.disconnect();
      await closeServer(ops);
    },
  };
});
