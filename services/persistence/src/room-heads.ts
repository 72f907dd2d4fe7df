import { StoreTimeoutError, withStoreDeadline, type LastMessage, type RoomHeadState, type SummaryWrite } from '@chat/store';

/** Summary writes in flight at once per flush. */
const FLUSH_CONCURRENCY = 4;

/** What the heads need from the store (ConversationStore). */
export interface HeadStore {
  loadHead(roomId: string): Promise<RoomHeadState | null>;
  openTail(roomId: string, owner: string): Promise<boolean>;
  writeSummary(roomId: string, s: SummaryWrite, closeAs?: string): Promise<boolean>;
}

export interface RoomHeadsOptions {
  /** This process's token, written as the rooms' `tailOpen` while it holds their tails open. */
  owner: string;
  /** A room's summary is written at most this long after the first message it does not show. */
  flushMs: number;
  /** A room quiet for this long gets its tail closed with its last summary write. */
  idleMs: number;
  /** Rooms kept in memory; quiet, written rooms beyond it are forgotten first. */
  max?: number;
  /**
   * How long a room's store write may take before the worker stops waiting (default 10 s): one left hanging
   * would otherwise hold every later write, and every batch, of that room.
   */
  writeTimeoutMs?: number;
  now?: () => number;
}

/** A room as its owner holds it: the next seq comes from here, and the summary is written behind. */
export interface Head {
  readonly roomId: string;
  readonly kind: 'direct' | 'group';
  lastSeq: number;
  lastMessage: LastMessage | null;
  messageChanged: boolean;
  /** Direct rooms: each sender's last seq since the last write (ConversationDoc.lastSeqBy). */
  senders: Map<string, number>;
  /** True while the store's tailOpen is this owner's, or will be before any insert goes out. */
  open: boolean;
  /** The token the tail was opened with (this process's at the time). */
  openedAs: string;
  /** A previous owner's token still in the store's tailOpen (it stopped without closing it): closed on our first write. */
  prevOwner: string | null;
  /** Batches using the head now: its tail is never closed under one. */
  inUse: number;
  /**
   * The highest seq a failed batch may have stored without committing it: until lastSeq reaches it, the
   * tail is not closed (readers find those messages only through it).
   */
  unsureUpTo: number;
  dirtySince: number | null;
  lastStoredAt: number;
}

/** What a batch stored in one room: the messages in seq order, and the last seq it took. */
export interface Stored {
  lastSeq: number;
  messages: Array<{ id: string; senderId: string; seq: number; content: string; createdAt: Date }>;
}

/**
 * The rooms this persistence worker owns (one active consumer per partition), each room's last seq kept
 * in memory: a message takes its seq from here, with no store round trip. The unique (roomId, seq) index
 * is the fence against a second writer (a stale owner's insert collides, and it forgets the room and reads
 * it again). The summary (lastSeq, lastMessage, each sender's last seq) is written behind, at most once
 * per flushMs per room, and when the room goes quiet or the worker stops. Readers stay correct meanwhile:
 * before a room's first message past its written summary is stored, the room's tail is marked open, and
 * readers add the messages past the summary (libs/store room-tail.ts). A new owner reads the same tail to
 * find the room's true last seq, so a crash between an insert and its summary write loses nothing.
 */
export class RoomHeads {
  private heads = new Map<string, Head>();
  /** Each room's store writes in flight, in order (see serial). */
  private readonly chains = new Map<string, Promise<unknown>>();
  private readonly now: () => number;
  /**
   * The token this process writes as the rooms' tailOpen: its owner name and how many times it forgot every
   * room. A write of a forgotten head still in flight (a close guarded by the old token) cannot then close a
   * tail that the head read again afterwards opened: that one carries the new token.
   */
  private token: string;
  private epoch = 0;
  private flushing = false;

  constructor(
    private readonly store: HeadStore,
    private readonly opts: RoomHeadsOptions,
  ) {
    this.now = opts.now ?? Date.now;
    this.token = opts.owner;
  }

  /**
   * The heads of these rooms, loaded on first touch, each with its tail open, ready for inserts; null for a
   * room that does not exist. Every head returned must be given back with release().
   */
  async acquire(roomIds: string[]): Promise<Map<string, Head | null>> {
    const out = new Map<string, Head | null>();
    const missing = roomIds.filter((r) => !this.heads.has(r));
    for (let i = 0; i < missing.length; i += 16) {
      await Promise.all(
        missing.slice(i, i + 16).map(async (roomId) => {
          const state = await this.timed(roomId, this.store.loadHead(roomId));
          if (state && !this.heads.has(roomId)) this.heads.set(roomId, this.fromState(roomId, state));
        }),
      );
    }
    for (const roomId of roomIds) {
      const h = this.heads.get(roomId) ?? null;
      if (h) {
        h.inUse++;
        // most recently used last, for forgetting the quiet ones first
        this.heads.delete(roomId);
        this.heads.set(roomId, h);
      }
      out.set(roomId, h);
    }
    try {
      await Promise.all([...out.values()].flatMap((h) => (h ? [this.ensureOpen(h)] : [])));
    } catch (err) {
      this.release(out);
      throw err;
    }
    return out;
  }

  release(heads: Map<string, Head | null>): void {
    for (const h of heads.values()) if (h) h.inUse--;
  }

  unsure(h: Head, upToSeq: number): void {
    h.unsureUpTo = Math.max(h.unsureUpTo, upToSeq);
  }

  /** Records what a batch stored in the room (after the insert succeeded). */
  commit(h: Head, stored: Stored): void {
    if (stored.lastSeq <= h.lastSeq) return;
    h.lastSeq = stored.lastSeq;
    const last = stored.messages[stored.messages.length - 1];
    if (last) {
      h.lastMessage = {
        id: last.id,
        senderId: last.senderId,
        seq: last.seq,
        content: last.content,
        deleted: false,
        createdAt: last.createdAt,
      };
      h.messageChanged = true;
      if (h.kind === 'direct') for (const m of stored.messages) h.senders.set(m.senderId, m.seq);
    }
    h.dirtySince ??= this.now();
    h.lastStoredAt = this.now();
  }

  /**
   * The room's next seq for an edit or delete, written to the summary (with everything pending) before the
   * change is applied: a change is rare, and its seq must be known to the store before any message could
   * take the same one from a later owner. Null: no such room.
   */
  async reserveChange(roomId: string): Promise<number | null> {
    const heads = await this.acquire([roomId]);
    try {
      const h = heads.get(roomId);
      if (!h) return null;
      const seq = h.lastSeq + 1;
      await this.serial(h, async () => {
        const ok = await this.timed(
          roomId,
          this.store.writeSummary(roomId, {
            lastSeq: seq,
            lastChangeSeq: seq,
            ...(h.messageChanged ? { lastMessage: h.lastMessage } : {}),
            senders: h.senders,
          }),
          h,
        );
        if (!ok) {
          this.drop(h);
          throw new Error(`room ${roomId} was written by another owner; reading it again`);
        }
        h.lastSeq = seq;
        h.messageChanged = false;
        h.senders = new Map();
        h.dirtySince = null;
      });
      return seq;
    } finally {
      this.release(heads);
    }
  }

  /** The room's last seq (a group's join point for a new member); null if the room does not exist. */
  async lastSeqOf(roomId: string): Promise<number | null> {
    const heads = await this.acquire([roomId]);
    this.release(heads);
    return heads.get(roomId)?.lastSeq ?? null;
  }

  /** Keeps the pending summary in step with an edit or delete of the room's last message. */
  patchLastMessage(roomId: string, messageId: string, patch: { content: string | null; deleted?: boolean }): void {
    const h = this.heads.get(roomId);
    if (!h?.lastMessage || h.lastMessage.id !== messageId) return;
    h.lastMessage = { ...h.lastMessage, content: patch.content, deleted: patch.deleted ?? h.lastMessage.deleted };
    // written again: a summary write in flight may carry the old content over the store's own patch
    h.messageChanged = true;
    h.dirtySince ??= this.now();
  }

  /**
   * Runs another write of the room's document after the head's own writes and before the next: on
   * FerretDB v1 an update rewrites the whole document without isolation, so a summary write at the same
   * time as a group change could undo it.
   */
  exclusive<T>(roomId: string, fn: () => Promise<T>): Promise<T> {
    return this.serial(roomId, fn);
  }

  /** Forgets rooms (another writer was seen): they are read again on next use. */
  forget(roomIds: Iterable<string>): void {
    for (const r of roomIds) this.heads.delete(r);
  }

  /**
   * Forgets every room, without writing: after the consumer's channel was lost, its partitions may have
   * gone to another worker, which may write them. Open tails stay open, so readers lose nothing.
   */
  forgetAll(): void {
    this.heads = new Map();
    this.token = `${this.opts.owner}#${++this.epoch}`;
  }

  /**
   * Writes the summaries that are due (or all, with `force`), closing the tails of rooms that went quiet
   * (all, with `force`: the worker is stopping). Failed writes are tried again on the next call.
   */
  async flush(force = false): Promise<{ written: number; failed: number }> {
    // one round at a time (a round of many rooms can outlast the timer's interval)
    if (this.flushing && !force) return { written: 0, failed: 0 };
    this.flushing = true;
    try {
      return await this.flushRound(force);
    } finally {
      this.flushing = false;
    }
  }

  private async flushRound(force: boolean): Promise<{ written: number; failed: number }> {
    const now = this.now();
    const due: Array<{ h: Head; close: boolean }> = [];
    let written = 0;
    let failed = 0;
    for (const h of [...this.heads.values()]) {
      const dirty = h.dirtySince !== null && (force || now - h.dirtySince >= this.opts.flushMs);
      const quiet =
        (h.open || h.prevOwner !== null) &&
        h.inUse === 0 &&
        h.unsureUpTo <= h.lastSeq &&
        (force || now - h.lastStoredAt >= this.opts.idleMs);
      if (dirty || quiet) due.push({ h, close: quiet });
    }
    // a few at a time: hundreds of rooms come due together, and all at once they would queue the inserts
    // behind them in the driver's pool
    for (let i = 0; i < due.length; i += FLUSH_CONCURRENCY) {
      await Promise.all(
        due.slice(i, i + FLUSH_CONCURRENCY).map(({ h, close }) =>
          this.write(h, close).then(
            (ok) => (ok ? written++ : failed++),
            () => failed++,
          ),
        ),
      );
    }
    this.trim();
    return { written, failed };
  }

  private async write(h: Head, close: boolean): Promise<boolean> {
    return this.serial(h, async () => {
      // decided again now that the head is ours: a batch may have started meanwhile
      const closeAs = close && h.inUse === 0 && h.unsureUpTo <= h.lastSeq ? (h.open ? h.openedAs : h.prevOwner) : null;
      // from here until the write is done, a batch that starts opens the tail again after it (serial)
      if (closeAs) h.open = false;
      const snapshot = { seq: h.lastSeq, senders: h.senders, message: h.messageChanged ? h.lastMessage : undefined };
      h.senders = new Map();
      h.messageChanged = false;
      const dirtySince = h.dirtySince;
      h.dirtySince = null;
      try {
        const ok = await this.timed(
          h.roomId,
          this.store.writeSummary(
            h.roomId,
            { lastSeq: snapshot.seq, lastMessage: snapshot.message, senders: snapshot.senders },
            closeAs ?? undefined,
          ),
          h,
        );
        if (ok) {
          if (closeAs) h.prevOwner = null;
        } else {
          // the room moved past this owner's view (another writer), or its tail is another owner's now
          this.drop(h);
        }
        return ok;
      } catch (err) {
        // tried again on the next flush, with whatever came meanwhile
        for (const [s, seq] of snapshot.senders) if (!h.senders.has(s)) h.senders.set(s, seq);
        if (snapshot.message !== undefined && !h.messageChanged) {
          h.lastMessage = snapshot.message;
          h.messageChanged = true;
        }
        h.dirtySince ??= dirtySince ?? this.now();
        // a close may or may not have landed: open stays false, so the next insert marks the tail open again
        throw err;
      }
    });
  }

  private async ensureOpen(h: Head): Promise<void> {
    if (h.open) return;
    await this.serial(h, async () => {
      if (h.open) return;
      const token = this.token;
      if (!(await this.timed(h.roomId, this.store.openTail(h.roomId, token), h))) throw new Error(`room ${h.roomId} is gone`);
      h.open = true;
      h.openedAs = token;
      h.prevOwner = null;
    });
  }

  /**
   * A store call with a deadline. When it passes, the room is forgotten and the token changes: the call
   * may still land later (a close among them), and a token that has moved on cannot match it.
   */
  private async timed<T>(roomId: string, call: Promise<T>, h?: Head): Promise<T> {
    try {
      return await withStoreDeadline(call, this.opts.writeTimeoutMs ?? 10_000, `room ${roomId}`);
    } catch (err) {
      if (err instanceof StoreTimeoutError) {
        if (h) this.drop(h);
        this.token = `${this.opts.owner}#${++this.epoch}`;
      }
      throw err;
    }
  }

  /** Forgets this head, not a newer one of the same room read since. */
  private drop(h: Head): void {
    if (this.heads.get(h.roomId) === h) this.heads.delete(h.roomId);
  }

  /**
   * Runs the room's store writes one after another, across heads: a head forgotten while its write is in
   * flight and the head read again afterwards share the room's chain (FerretDB v1 rewrites a whole document
   * per update, so two writes of one room at once could undo each other).
   */
  private serial<T>(h: Head | string, fn: () => Promise<T>): Promise<T> {
    const roomId = typeof h === 'string' ? h : h.roomId;
    const run = (this.chains.get(roomId) ?? Promise.resolve()).then(fn, fn);
    const settled = run.then(
      () => undefined,
      () => undefined,
    );
    this.chains.set(roomId, settled);
    void settled.then(() => {
      if (this.chains.get(roomId) === settled) this.chains.delete(roomId);
    });
    return run;
  }

  private fromState(roomId: string, s: RoomHeadState): Head {
    return {
      roomId,
      kind: s.kind,
      lastSeq: s.lastSeq,
      lastMessage: s.lastMessage,
      // what the tail holds past the written summary goes out with this owner's first summary write
      messageChanged: s.tailMessages > 0,
      senders: s.kind === 'direct' ? new Map(Object.entries(s.tailSenders)) : new Map<string, number>(),
      // a tail this process opened before it forgot the room is still ours; another owner's is written
      // (its messages are in lastSeq now) and closed on the first flush
      open: s.tailOpen === this.token,
      openedAs: this.token,
      prevOwner: s.tailOpen && s.tailOpen !== this.token ? s.tailOpen : null,
      inUse: 0,
      unsureUpTo: 0,
      dirtySince: s.tailOpen ? this.now() : null,
      lastStoredAt: s.tailOpen ? this.now() : 0,
    };
  }

  /** Forgets the least recently used rooms beyond `max` that have nothing to write and no open tail. */
  private trim(): void {
    const max = this.opts.max ?? 100_000;
    if (this.heads.size <= max) return;
    for (const [roomId, h] of this.heads) {
      if (this.heads.size <= max) break;
      if (h.dirtySince === null && !h.open && h.inUse === 0) this.heads.delete(roomId);
    }
  }
}
