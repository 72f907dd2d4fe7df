import { AppError, emitOf, ServerEvents, type ServerEmit, type SyncGap } from '@chat/contracts';
import type { Presence } from '@chat/delivery';
import type { Logger } from '@chat/logging';
import { offlineDrained } from '@chat/ops';
import type { Inbox } from '../usecases/ports';
import type { ReadMissedUseCase, MissedDeliveries } from '../usecases/read-missed/read-missed.usecase';
import { CatchUps } from './catch-ups';
import type { LocalSockets } from './local-sockets';
import { handedFloor } from './ordered-delivery';

export interface StoreCatchUpDeps {
  sockets: LocalSockets;
  readMissed: ReadMissedUseCase;
  inbox: Inbox;
  presence: Presence;
  log: Logger;
}

/**
 * When this edge's sockets must be caught up from the store, and how: the connect-time sync, after Redis
 * lost presence, after the adapter's subscription dropped. Each time the users' live deliveries are held
 * first, then the store is read (one catch-up per user at a time, see CatchUps), then the read is handed
 * over and the hold released, so a live message never overtakes an older one the read brings.
 */
export class StoreCatchUps {
  private readonly runs: CatchUps<MissedDeliveries>;

  constructor(private readonly deps: StoreCatchUpDeps) {
    const { sockets, log } = deps;
    this.runs = new CatchUps<MissedDeliveries>({
      read: async (userId) => {
        const sync = await deps.readMissed.execute(userId, this.handedToAll(userId));
        if (sync.source !== 'store') throw new AppError('UNAVAILABLE', 'store unavailable');
        return sync;
      },
      apply: (userId, sync, release) => this.apply(userId, sync, release),
      connected: (userId) => sockets.has(userId),
      done: (userId, took) => {
        if (took.ms >= 1000) log.info({ userId, ...took }, 'deliveries held for a slow catch-up released');
      },
      retrying: (userId, attempt, err) =>
        log.warn({ userId, attempt, err: err.message }, 'catch-up failed; holding the user’s deliveries and retrying'),
      // a held socket must not stay held: its client reconnects and gets the full connect-time sync
      giveUp: (userId, err) => {
        log.warn({ userId, err: err.message }, 'catch-up failed; disconnecting the user so it reconnects');
        for (const local of sockets.of(userId)) local.socket.disconnect(true);
      },
    });
  }

  /** Users with a catch-up under way or waiting to retry. */
  get pending(): number {
    return this.runs.pending;
  }

  /** Catch the user up (its new socket's deliveries are held from the start). */
  request(userId: string): void {
    this.runs.request(userId);
  }

  /**
   * Redis forgot these sockets (restart, flush) or their entries expired before the heartbeat came: fanout
   * may have been parking their messages meanwhile. Hold their live deliveries first, then mark them online
   * again, then catch up from the store: in that order a live message cannot overtake the older ones the
   * catch-up brings.
   */
  async presenceLapsed(lost: Array<{ userId: string; socketId: string }>): Promise<void> {
    const users = this.hold(lost.map((l) => l.userId));
    const refreshed = this.deps.presence
      .refresh(lost)
      .catch((err: Error) => this.deps.log.warn({ err: err.message }, 'could not restore presence; the next heartbeat retries'));
    // asked now (a catch-up of these users already reading must not release the hold just placed), read after the refresh
    for (const userId of users) this.runs.request(userId, refreshed);
    await refreshed;
  }

  /**
   * The adapter's Redis subscription was lost and is back: deliveries published meanwhile never reached
   * this edge (pub/sub keeps nothing). Hold every local socket and catch each user up from the store.
   */
  catchUpAll(reason: string): void {
    const users = this.hold(this.deps.sockets.all().map((s) => s.userId));
    if (users.length === 0) return;
    this.deps.log.warn({ users: users.length, reason }, 'catching every connected user up from the store');
    for (const userId of users) this.runs.request(userId);
  }

  /**
   * Holds every local socket's live deliveries, without a catch-up yet: the adapter's subscription dropped,
   * and until it is back what fanout publishes never reaches this edge. A message handed after the
   * subscription is back but before the catch-up would make the socket drop the lost ones for good (it
   * hands each room in seq order and never goes back), so everything waits for `catchUpAll`.
   */
  holdAll(): void {
    this.hold(this.deps.sockets.all().map((s) => s.userId));
  }

  private async apply(userId: string, sync: MissedDeliveries, release: boolean): Promise<void> {
    // what a device says it already has (handshake auth.since) was set in its delivery when it connected, so
    // it is not sent again even when its delivered receipt was lost with an edge that died before writing it
    const parked = [...sync.gaps.map(gapNotice), ...sync.events.map(emitOf)];
    for (const local of this.deps.sockets.of(userId)) {
      if (!release) local.delivery.feed(sync.messages, sync.cursors, parked, sync.changes);
      else local.delivery.release(sync.messages, sync.cursors, parked, sync.changes);
    }
    if (sync.parkedIds.length > 0) {
      await this.deps.inbox.remove(userId, sync.parkedIds);
      offlineDrained.inc(sync.parkedIds.length);
    }
    this.deps.log.debug(
      { userId, synced: sync.messages.length, parked: sync.parkedIds.length, gaps: sync.gaps.length },
      'user synced from the store',
    );
  }

  /** Where a catch-up of the user's sockets on this edge starts, per room (see handedFloor). */
  private handedToAll(userId: string): Record<string, number> {
    return handedFloor([...this.deps.sockets.of(userId)].map((l) => l.delivery));
  }

  /** Holds the live deliveries of every local socket of these users (until their catch-up releases them). */
  private hold(userIds: string[]): string[] {
    const users = [...new Set(userIds)];
    for (const userId of users) for (const local of this.deps.sockets.of(userId)) local.delivery.hold();
    return users;
  }
}

/** What a device is told of seqs of a room the read did not hand over (it backfills them through history). */
function gapNotice(gap: SyncGap): ServerEmit<typeof ServerEvents.syncGap> {
  return { event: ServerEvents.syncGap, payload: gap };
}
