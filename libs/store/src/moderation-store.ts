import { trusted } from 'mongoose';
import { ONE_BATCH, type ModerationVerdictDoc, type Models } from './models';

const DUPLICATE_KEY = 11000;

/** A verdict as the persistence worker applies it (ModerationVerdictDoc without its bookkeeping). */
export type StoredVerdict = Omit<ModerationVerdictDoc, '_id' | 'at'> & { messageId: string };

/**
 * The moderation verdicts that must outlive a redelivery: rejections and redactions, written by the room's
 * persistence worker before it stores the batch or tells anyone. A message let through unchanged has none
 * (the stored message answers for it).
 */
export class ModerationVerdictStore {
  constructor(private readonly m: Models) {}

  /**
   * The stored verdicts of these messages, in one read per batch. FerretDB v1 answers `$in` by reading the
   * whole collection (docs/ferretdb.md), which stays small here: it holds rejections and redactions only.
   */
  async find(messageIds: string[]): Promise<Map<string, StoredVerdict>> {
    const out = new Map<string, StoredVerdict>();
    if (messageIds.length === 0) return out;
    const docs = await this.m.ModerationVerdict.find({ _id: trusted({ $in: [...new Set(messageIds)] }) })
      .batchSize(ONE_BATCH)
      .lean<ModerationVerdictDoc[]>();
    for (const d of docs) out.set(d._id, fromDoc(d));
    return out;
  }

  /** Records verdicts in one insert; one already stored for a message is kept (the first verdict stands). */
  async record(verdicts: StoredVerdict[], at = new Date()): Promise<void> {
    if (verdicts.length === 0) return;
    const docs = verdicts.map(({ messageId, ...v }) => ({ _id: messageId, ...v, at }));
    try {
      await this.m.ModerationVerdict.insertMany(docs, { ordered: false, lean: true });
    } catch (err) {
      const writeErrors = (err as { writeErrors?: Array<{ code?: number; err?: { code?: number } }> }).writeErrors;
      if (!writeErrors || writeErrors.length === 0 || writeErrors.some((we) => (we.code ?? we.err?.code) !== DUPLICATE_KEY)) throw err;
    }
  }
}

function fromDoc(d: ModerationVerdictDoc): StoredVerdict {
  return {
    messageId: d._id,
    roomId: d.roomId,
    senderId: d.senderId,
    action: d.action,
    reason: d.reason ?? null,
    content: d.content ?? null,
    source: d.source,
  };
}
