import { ONE_BATCH, type Models, type PinDoc } from './models';

const pinId = (roomId: string, messageId: string) => `${roomId}:${messageId}`;

/**
 * A room's pinned messages. Only the room's persistence worker writes them (in the room's order, one
 * writer per room partition), so counting then inserting cannot let two pins past the limit.
 */
export class PinStore {
  constructor(private readonly m: Models) {}

  /** The room's pins, newest first (a room holds at most MAX_PINS_PER_ROOM). */
  async list(roomId: string): Promise<PinDoc[]> {
    const docs = await this.m.Pin.find({ roomId }).batchSize(ONE_BATCH).lean<PinDoc[]>();
    return docs.sort((a, b) => new Date(b.pinnedAt).getTime() - new Date(a.pinnedAt).getTime() || (a._id < b._id ? 1 : -1));
  }

  async state(roomId: string, messageId: string): Promise<{ pinned: boolean; count: number }> {
    const [one, count] = await Promise.all([
      this.m.Pin.findById(pinId(roomId, messageId)).select({ _id: 1 }).lean(),
      this.m.Pin.countDocuments({ roomId }),
    ]);
    return { pinned: one !== null, count };
  }

  /** Pins the message; pinning it again keeps the first pin (a redelivered command). */
  async add(roomId: string, messageId: string, by: string, at: Date): Promise<void> {
    await this.m.Pin.updateOne(
      { _id: pinId(roomId, messageId) },
      { $setOnInsert: { roomId, messageId, pinnedBy: by, pinnedAt: at } },
      { upsert: true },
    );
  }

  /** Unpins the message; returns whether it was pinned. */
  async remove(roomId: string, messageId: string): Promise<boolean> {
    return (await this.m.Pin.deleteOne({ _id: pinId(roomId, messageId) })).deletedCount === 1;
  }
}
