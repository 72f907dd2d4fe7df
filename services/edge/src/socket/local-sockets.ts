import type { ChatSocket } from './chat-socket';
import type { OrderedDelivery } from './ordered-delivery';

export interface LocalSocket {
  socket: ChatSocket;
  userId: string;
  delivery: OrderedDelivery;
}

/** The sockets connected to this edge, by user: where deliveries for a user land on this process. */
export class LocalSockets {
  private readonly byUser = new Map<string, Map<string, LocalSocket>>();

  add(entry: LocalSocket): void {
    const m = this.byUser.get(entry.userId) ?? new Map<string, LocalSocket>();
    m.set(entry.socket.id, entry);
    this.byUser.set(entry.userId, m);
  }

  remove(userId: string, socketId: string): void {
    const m = this.byUser.get(userId);
    if (!m) return;
    m.delete(socketId);
    if (m.size === 0) this.byUser.delete(userId);
  }

  of(userId: string): Iterable<LocalSocket> {
    return this.byUser.get(userId)?.values() ?? [];
  }

  has(userId: string): boolean {
    return this.byUser.has(userId);
  }

  all(): LocalSocket[] {
    return [...this.byUser.values()].flatMap((m) => [...m.values()]);
  }

  get size(): number {
    let n = 0;
    for (const m of this.byUser.values()) n += m.size;
    return n;
  }
}
