import { AppError, envelope, ServerEvents, type DeliveryEnvelope, type GroupAdds, type PresenceView } from '@chat/contracts';

/** The user's own settings (UserSettingsStore). */
export interface Settings {
  showPresence: boolean;
  groupAdds: GroupAdds;
  pushPreview: boolean;
}

export interface PresencePorts {
  /** Everyone who shares a room with the user (ConversationStore.contactsOf). */
  contactsOf(userId: string): Promise<Set<string>>;
  settings: {
    get(userId: string): Promise<Settings>;
    set(userId: string, s: Settings): Promise<Settings>;
    hidingPresence(userIds: string[]): Promise<Set<string>>;
  };
  /** Transitions and last-seen times (LastSeen, in Redis). */
  lastSeen: {
    cameOnline(userId: string): Promise<boolean>;
    socketClosed(userId: string): Promise<void>;
    settleOffline(userId: string): Promise<Date | null>;
    read(userIds: string[]): Promise<Map<string, { online: boolean; lastSeenAt: Date | null }>>;
  };
  /** Hands an event to the online recipients' edges (EphemeralRelay). */
  relay(env: DeliveryEnvelope): Promise<void>;
}

/** What is shown of someone whose presence is hidden (by them or by the viewer): nothing. */
const HIDDEN = (userId: string): PresenceView => ({ userId, online: null, lastSeenAt: null });

/**
 * Online state and last seen, for the people who share a room with a user. Hiding it is reciprocal: a user
 * who hides theirs is shown to nobody and is shown nobody's.
 */
export class PresenceUseCase {
  constructor(private readonly ports: PresencePorts) {}

  /** GET /chat/presence: only about the caller and people the caller shares a room with (others: 404). */
  async query(userId: string, userIds: string[]): Promise<{ presence: PresenceView[] }> {
    const ids = [...new Set(userIds)];
    const contacts = await this.ports.contactsOf(userId);
    const strangers = ids.filter((id) => id !== userId && !contacts.has(id));
    if (strangers.length > 0) throw new AppError('NOT_FOUND', 'you share no room with some of these users', { userIds: strangers });
    const hidden = await this.ports.settings.hidingPresence([userId, ...ids]);
    const shown = ids.filter((id) => id === userId || (!hidden.has(userId) && !hidden.has(id)));
    const states = await this.ports.lastSeen.read(shown);
    return {
      presence: ids.map((id) => {
        const s = states.get(id);
        return s ? { userId: id, online: s.online, lastSeenAt: s.lastSeenAt?.toISOString() ?? null } : HIDDEN(id);
      }),
    };
  }

  settings(userId: string): Promise<Settings> {
    return this.ports.settings.get(userId);
  }

  /** Saves the settings given (the others kept); on a change of showPresence the contacts are told (nothing, or the state now). */
  async updateSettings(userId: string, patch: Partial<Settings>): Promise<{ settings: Settings }> {
    const before = await this.ports.settings.get(userId);
    const settings = await this.ports.settings.set(userId, { ...before, ...defined(patch) });
    if (before.showPresence !== settings.showPresence) {
      const view = settings.showPresence ? await this.current(userId) : HIDDEN(userId);
      await this.announce(userId, view, true);
    }
    return { settings };
  }

  /** A socket of the user connected (after its presence entry was written): announces it if it was offline. */
  async connected(userId: string): Promise<void> {
    if (await this.ports.lastSeen.cameOnline(userId)) await this.announce(userId, { userId, online: true, lastSeenAt: null });
  }

  /** A socket of the user closed: its time is the user's last seen if it was the last one. */
  socketClosed(userId: string): Promise<void> {
    return this.ports.lastSeen.socketClosed(userId);
  }

  /** After the grace: announces the user offline if no socket of it is left anywhere. */
  async settle(userId: string): Promise<void> {
    const at = await this.ports.lastSeen.settleOffline(userId);
    if (at) await this.announce(userId, { userId, online: false, lastSeenAt: at.toISOString() });
  }

  private async current(userId: string): Promise<PresenceView> {
    const s = (await this.ports.lastSeen.read([userId])).get(userId);
    return { userId, online: s?.online ?? false, lastSeenAt: s?.lastSeenAt?.toISOString() ?? null };
  }

  /** Tells the user's contacts who show their presence; nothing at all if the user hides it (unless `evenIfHidden`). */
  private async announce(userId: string, view: PresenceView, evenIfHidden = false): Promise<void> {
    if (!evenIfHidden && !(await this.ports.settings.get(userId)).showPresence) return;
    const contacts = [...(await this.ports.contactsOf(userId))];
    if (contacts.length === 0) return;
    const hidden = await this.ports.settings.hidingPresence(contacts);
    const to = contacts.filter((c) => !hidden.has(c));
    if (to.length > 0) await this.ports.relay(envelope({ userIds: to }, ServerEvents.presence, view));
  }
}

/** The fields given a value (a PATCH leaves out what it does not change). */
function defined(patch: Partial<Settings>): Partial<Settings> {
  return Object.fromEntries(Object.entries(patch).filter(([, v]) => v !== undefined));
}
