import type { Logger } from '@chat/logging';
import type { PresenceUseCase } from '../usecases/presence/presence.usecase';
import type { LocalSockets } from './local-sockets';

/** Online and last seen: announced on the first socket and after the last one closed plus the grace. */
export interface PresenceAnnouncements {
  useCase: PresenceUseCase;
  graceMs: number;
}

/** Tells a user's contacts when it comes online and, a grace after its last socket closed, when it went offline. */
export class PresenceAnnouncer {
  /** Per user whose last socket here closed: the pending offline announcement. */
  private readonly goingOffline = new Map<string, NodeJS.Timeout>();

  constructor(
    private readonly info: PresenceAnnouncements | undefined,
    private readonly sockets: LocalSockets,
    private readonly log: Logger,
  ) {}

  /** A socket of the user is online: contacts are told if the user was offline (not after a reconnect within the grace). */
  arrived(userId: string): void {
    const info = this.info;
    if (!info) return;
    const pending = this.goingOffline.get(userId);
    if (pending) clearTimeout(pending);
    this.goingOffline.delete(userId);
    info.useCase.connected(userId).catch((err: Error) => this.log.warn({ userId, err: err.message }, 'could not announce the user online'));
  }

  /** The user's last socket here closed: after the grace, contacts are told if no socket of it is left anywhere. */
  left(userId: string): void {
    const info = this.info;
    if (!info) return;
    info.useCase.socketClosed(userId).catch((err: Error) => this.log.warn({ userId, err: err.message }, 'could not record last seen'));
    const pending = this.goingOffline.get(userId);
    if (pending) clearTimeout(pending);
    const timer = setTimeout(() => {
      this.goingOffline.delete(userId);
      if (this.sockets.has(userId)) return;
      info.useCase.settle(userId).catch((err: Error) => this.log.warn({ userId, err: err.message }, 'could not announce the user offline'));
    }, info.graceMs);
    timer.unref();
    this.goingOffline.set(userId, timer);
  }

  stop(): void {
    for (const t of this.goingOffline.values()) clearTimeout(t);
    this.goingOffline.clear();
  }
}
