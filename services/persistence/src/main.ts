import { randomUUID } from 'node:crypto';
import { Publisher } from '@chat/broker';
import { decodeRoomCommand, type EditMessageCommand, type RoomCommand } from '@chat/contracts';
import { ModerationReports, StageLag } from '@chat/delivery';
import { runConsumerService } from '@chat/lifecycle';
import { stageLag, timedCalls } from '@chat/ops';
import {
  backfillMessageBuckets,
  BlockStore,
  ConversationStore,
  GroupStore,
  isStoreUnavailable,
  MessageStore,
  ModerationVerdictStore,
  PinStore,
  ReportStore,
  withStoreDeadline,
} from '@chat/store';
import { InsertCoalescer } from './insert-coalescer';
import { PairBlocks } from './pair-blocks';
import { HttpModerationHook } from './moderation-hook';
import { ModerationMonitor } from './moderation-monitor';
import { RoomHeads } from './room-heads';
import { recordStored } from './stage-metrics';
import { ApplyGroupCommandUseCase } from './usecases/apply-group-command/apply-group-command.usecase';
import { ApplyPinUseCase } from './usecases/apply-pin/apply-pin.usecase';
import { ApplyReportUseCase } from './usecases/apply-report/apply-report.usecase';
import { ApplyRoomCommandsUseCase } from './usecases/apply-room-commands/apply-room-commands.usecase';
import { ChangeMessageUseCase } from './usecases/change-message/change-message.usecase';
import { ModerateMessageUseCase } from './usecases/moderate-message/moderate-message.usecase';
import { editKey, ModerateSendsUseCase } from './usecases/moderate-sends/moderate-sends.usecase';
import { PersistBatchUseCase } from './usecases/persist-batch/persist-batch.usecase';
import { ReactMessageUseCase } from './usecases/react-message/react-message.usecase';
import { StoreMessagesUseCase } from './usecases/store-messages/store-messages.usecase';

runConsumerService<RoomCommand>(
  'persistence',
  { redis: 'best-effort' },
  async ({ config, log, topology, models, redis, broker, waitFor }) => {
    // a store written before messages had read buckets gets them once, before any read relies on them
    const backfilled = await backfillMessageBuckets(models);
    if (backfilled > 0) log.info({ messages: backfilled }, 'gave stored messages their read buckets');
    const messages = new MessageStore(models);
    const conversations = new ConversationStore(models);
    const groups = new GroupStore(models);
    const pins = new PinStore(models);
    const blockStore = new BlockStore(models);
    const reports = new ReportStore(models);
    // the blocks between each owned one-to-one room's two participants, in memory: a send is judged with no store call
    const pairBlocks = new PairBlocks(
      timedCalls(blockStore, { blocks: 'block.blocks' }, (call, op) => withStoreDeadline(call, 30_000, op)),
    );
    // a deadline on the hot path's store calls: one the driver left hanging after a cut connection would hold
    // its partition (and, for the merged insert, every partition) for good; the batch is retried instead
    const hot = timedCalls(messages, { insertIdempotent: 'message.insertMany', findByIds: 'message.findByIds' }, (call, op) =>
      withStoreDeadline(call, 30_000, op),
    );
    const inserts = new InsertCoalescer((docs) => hot.insertIdempotent(docs), isStoreUnavailable, { lingerMs: config.INSERT_LINGER_MS });
    const heads = new RoomHeads(
      timedCalls(conversations, {
        loadHead: 'conversation.loadHead',
        openTail: 'conversation.openTail',
        writeSummary: 'conversation.writeSummary',
      }),
      {
        owner: `${config.INSTANCE_ID}:${randomUUID().slice(0, 8)}`,
        flushMs: config.SUMMARY_FLUSH_MS,
        idleMs: config.SUMMARY_IDLE_MS,
      },
    );
    const storeMessages = new StoreMessagesUseCase(
      { findByIds: hot.findByIds, insertIdempotent: (docs) => inserts.insertIdempotent(docs) },
      heads,
      pairBlocks,
    );
    const updateLastMessage = async (room: string, id: string, patch: { content: string | null; deleted?: boolean }) => {
      heads.patchLastMessage(room, id, patch);
      await heads.exclusive(room, () => conversations.updateLastMessage(room, id, patch));
    };
    const applyCommands = new ApplyRoomCommandsUseCase(storeMessages, {
      change: new ChangeMessageUseCase(
        {
          findByIds: (ids) => messages.findByIds(ids),
          applyEdit: (id, content, at, changedSeq) => messages.applyEdit(id, content, at, changedSeq),
          applyDelete: (id, at, changedSeq) => messages.applyDelete(id, at, changedSeq),
          updateLastMessage,
          groupMembers: async (groupId) => (await groups.get(groupId))?.participants ?? [],
          unpin: (roomId, messageId) => pins.remove(roomId, messageId),
        },
        config.EDIT_WINDOW_MS,
        (roomId) => storeMessages.stampChange(roomId),
      ),
      group: new ApplyGroupCommandUseCase(
        {
          get: (id) => groups.get(id),
          create: (...a) => groups.create(...a),
          // never at the same time as the group's summary write (see RoomHeads.exclusive)
          save: (id, ...a) => heads.exclusive(id, () => groups.save(id, ...a)),
          getInvite: (id) => groups.getInvite(id),
          createInvite: (i) => groups.createInvite(i),
          answerInvite: (...a) => groups.answerInvite(...a),
          joiners: (...a) => groups.joiners(...a),
          blockersAmong: (...a) => blockStore.blockersAmong(...a),
        },
        { members: config.GROUP_MEMBER_LIMIT, groupsPerUser: config.MAX_GROUPS_PER_USER },
        (groupId) => heads.lastSeqOf(groupId),
      ),
      react: new ReactMessageUseCase(
        {
          findByIds: (ids) => messages.findByIds(ids),
          applyReactions: (id, reactions, seq) => messages.applyReactions(id, reactions, seq),
          groupMembers: async (groupId) => (await groups.get(groupId))?.participants ?? [],
        },
        (roomId) => storeMessages.stampChange(roomId),
      ),
      pin: new ApplyPinUseCase({
        room: (id) => conversations.get(id),
        findByIds: (ids) => messages.findByIds(ids),
        state: (roomId, messageId) => pins.state(roomId, messageId),
        add: (...a) => pins.add(...a),
        remove: (...a) => pins.remove(...a),
      }),
      block: pairBlocks,
      report: new ApplyReportUseCase({ findByIds: (ids) => messages.findByIds(ids), create: (r) => reports.create(r) }),
      moderate: new ModerateMessageUseCase(
        {
          getReport: (id) => reports.get(id),
          resolve: (...a) => reports.resolve(...a),
          resolveAllFor: (...a) => reports.resolveAllFor(...a),
          findByIds: (ids) => messages.findByIds(ids),
          applyDelete: (id, at, changedSeq, by) => messages.applyDelete(id, at, changedSeq, by),
          updateLastMessage,
          unpin: (roomId, messageId) => pins.remove(roomId, messageId),
        },
        (roomId) => storeMessages.stampChange(roomId),
      ),
    });
    // summaries written behind: due ones every quarter interval, every one (tails closed) on stop
    let flushing: Promise<unknown> = Promise.resolve();
    const flushTimer = setInterval(
      () => {
        flushing = heads.flush().then(
          (r) => r.failed > 0 && log.warn({ failed: r.failed }, 'room summaries not written; trying again'),
          (err) => log.warn({ err: (err as Error).message }, 'room summary flush failed'),
        );
      },
      Math.max(50, Math.floor(Math.min(config.SUMMARY_FLUSH_MS, config.SUMMARY_IDLE_MS) / 4)),
    );
    flushTimer.unref();

    const publisher = new Publisher(broker, topology, config.PUBLISH_TIMEOUT_MS);
    await waitFor('RabbitMQ', 'Start rabbitmq-server or set RABBITMQ_URL.', () => publisher.waitForConnect());
    // moderation only when a hook is configured: without one the batch goes straight to the store
    const url = config.MODERATION_URL;
    const monitor = url ? new ModerationMonitor(config.MODERATION_FAILURE, log) : null;
    const apply = !(url && monitor)
      ? applyCommands
      : new ModerateSendsUseCase(
          applyCommands,
          {
            hook: new HttpModerationHook(url, config.MODERATION_TIMEOUT_MS, fetch, config.MODERATION_SECRET),
            verdicts: timedCalls(new ModerationVerdictStore(models), { find: 'moderation.find', record: 'moderation.record' }, (call, op) =>
              withStoreDeadline(call, 30_000, op),
            ),
            storedIds: async (ids) => new Set((await hot.findByIds(ids)).map((d) => String(d._id))),
            appliedEdits: async (edits) => {
              const docs = new Map((await hot.findByIds(edits.map((e) => e.messageId))).map((d) => [String(d._id), d]));
              const applied = (e: EditMessageCommand) => {
                const d = docs.get(e.messageId);
                return d?.editedAt && new Date(d.editedAt).getTime() === Date.parse(e.requestedAt) && d.content === e.content;
              };
              return new Set(edits.filter(applied).map(editKey));
            },
            observe: monitor,
          },
          config.MODERATION_FAILURE,
        );
    if (monitor)
      log.info(
        { failure: config.MODERATION_FAILURE, timeoutMs: config.MODERATION_TIMEOUT_MS },
        'new messages go through the moderation hook',
      );
    const moderationReports = new ModerationReports(redis, config.CHAT_NAMESPACE);
    const applyAndTime = {
      execute: async (commands: RoomCommand[]) => {
        const events = await apply.execute(commands);
        recordStored(events);
        return events;
      },
    };
    const persist = new PersistBatchUseCase(applyAndTime, publisher, topology.route, log);
    // the lag the edges admit sends by (best effort: without Redis they fall back to the queue depth)
    const lag = new StageLag(redis, config.CHAT_NAMESPACE);
    let lagTimer: NodeJS.Timeout | undefined;
    let moderationTimer: NodeJS.Timeout | undefined;
    if (config.UNSAFE_REQUEUE_FAILED === 'true')
      log.warn(
        'UNSAFE_REQUEUE_FAILED: a batch that fails on the store is requeued behind later ones; rooms get out of order (fault-test check only)',
      );
    if (config.UNSAFE_ACK_BEFORE_WRITE === 'true')
      log.warn('UNSAFE_ACK_BEFORE_WRITE: commands are acked before they are stored; a crash loses them (fault-test check only)');

    return {
      consumer: {
        queues: topology.persistQueues,
        ackOnReceipt: config.UNSAFE_ACK_BEFORE_WRITE === 'true',
        requeueFailed: config.UNSAFE_REQUEUE_FAILED === 'true',
        // the partitions may have had another owner since: read their rooms again
        onChannel: () => {
          heads.forgetAll();
          pairBlocks.forgetAll();
        },
        decode: decodeRoomCommand,
        handle: (batch) => persist.execute(batch.map((d) => d.payload)),
      },
      describe: { prefetch: config.BROKER_PREFETCH },
      started: (consumer) => {
        lagTimer = setInterval(() => {
          const ms = consumer.lagMs();
          stageLag.set({ stage: 'persistence' }, ms / 1000);
          lag
            .report('persistence', config.INSTANCE_ID, { lagMs: ms, inHand: consumer.inHand(), perSecond: consumer.capacityPerSecond() })
            .catch(() => undefined);
        }, 250);
        lagTimer.unref();
        if (monitor) {
          moderationTimer = setInterval(() => {
            moderationReports.report(config.INSTANCE_ID, monitor.report()).catch(() => undefined);
          }, 2000);
          moderationTimer.unref();
        }
      },
      stopping: async () => {
        clearInterval(lagTimer);
        clearInterval(moderationTimer);
        await lag.forget('persistence', config.INSTANCE_ID).catch(() => undefined);
        if (monitor) await moderationReports.forget(config.INSTANCE_ID).catch(() => undefined);
      },
      stopped: async () => {
        clearInterval(flushTimer);
        await flushing;
        const last = await heads.flush(true).catch((err: Error) => ({ written: 0, failed: -1, err: err.message }));
        log.info(last, 'room summaries written on stop');
        await publisher.close();
      },
    };
  },
);
