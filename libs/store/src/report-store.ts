import { createHash } from 'node:crypto';
import { ONE_BATCH, type Models, type ReportDoc } from './models';

const DUPLICATE_KEY = 11000;

/** One report per (reporter, message): reporting again names the same report (and changes nothing). */
export function reportIdFor(reporterId: string, messageId: string): string {
  return createHash('sha256').update(`report\u0000${reporterId}\u0000${messageId}`).digest('hex').slice(0, 24);
}

export type NewReport = Omit<ReportDoc, 'status' | 'outcome' | 'resolvedBy' | 'resolvedAt'>;

/**
 * Reports of messages, for the operators. Written only by the persistence worker that owns the message's
 * room (stored, then resolved), so a report and the delete that resolves it keep the room's order.
 */
export class ReportStore {
  constructor(private readonly m: Models) {}

  /** Stores the report as open; a repeat (the same reporter and message) changes nothing. */
  async create(r: NewReport): Promise<void> {
    try {
      await this.m.Report.insertMany([{ ...r, status: 'open' }], { lean: true });
    } catch (err) {
      if ((err as { code?: number }).code !== DUPLICATE_KEY) throw err;
    }
  }

  async get(reportId: string): Promise<ReportDoc | null> {
    return this.m.Report.findById(reportId).lean<ReportDoc>();
  }

  /** The open reports, oldest first. */
  async listOpen(limit: number): Promise<ReportDoc[]> {
    return this.m.Report.find({ status: 'open' }).sort({ createdAt: 1 }).limit(limit).batchSize(limit).lean<ReportDoc[]>();
  }

  /** Closes the report if it is open; whether it was. */
  async resolve(reportId: string, outcome: 'kept' | 'deleted', by: string, at: Date): Promise<boolean> {
    const r = await this.m.Report.updateOne(
      { _id: reportId, status: 'open' },
      { $set: { status: 'resolved', outcome, resolvedBy: by, resolvedAt: at } },
    );
    return r.modifiedCount === 1;
  }

  /** Closes every open report of the message (its delete answers them all), one update each. */
  async resolveAllFor(messageId: string, outcome: 'kept' | 'deleted', by: string, at: Date): Promise<number> {
    const open = await this.m.Report.find({ messageId, status: 'open' })
      .select({ _id: 1 })
      .batchSize(ONE_BATCH)
      .lean<Array<{ _id: string }>>();
    let n = 0;
    for (const { _id } of open) if (await this.resolve(_id, outcome, by, at)) n++;
    return n;
  }
}
