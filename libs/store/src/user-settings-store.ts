import type { GroupAdds } from '@chat/contracts';
import type { Models, UserSettingsDoc } from './models';

/** Lookups by _id in flight at once (as MessageStore.findByIds: FerretDB v1 answers `$in` with a scan). */
const CONCURRENCY = 16;

export interface UserSettings {
  showPresence: boolean;
  groupAdds: GroupAdds;
  /** False: pushes to the user carry no message text (only ids and a count). */
  pushPreview: boolean;
}

export const DEFAULT_SETTINGS: UserSettings = Object.freeze({ showPresence: true, groupAdds: 'contacts', pushPreview: true });

/** Each user's own settings (one document per user who changed one; the others have the defaults). */
export class UserSettingsStore {
  constructor(private readonly m: Models) {}

  async get(userId: string): Promise<UserSettings> {
    return withDefaults(await this.m.UserSettings.findById(userId).lean<UserSettingsDoc>());
  }

  /** Replaces the user's settings; the last write wins (only the user writes them). */
  async set(userId: string, s: UserSettings): Promise<UserSettings> {
    await this.m.UserSettings.updateOne(
      { _id: userId },
      { $set: { showPresence: s.showPresence, groupAdds: s.groupAdds, pushPreview: s.pushPreview, updatedAt: new Date() } },
      { upsert: true },
    );
    return { showPresence: s.showPresence, groupAdds: s.groupAdds, pushPreview: s.pushPreview };
  }

  /** Which of these users hide their presence. */
  async hidingPresence(userIds: string[]): Promise<Set<string>> {
    const unique = [...new Set(userIds)];
    const hidden = new Set<string>();
    for (let i = 0; i < unique.length; i += CONCURRENCY) {
      const docs = await Promise.all(
        unique
          .slice(i, i + CONCURRENCY)
          .map((id) => this.m.UserSettings.findById(id).select({ showPresence: 1 }).lean<Pick<UserSettingsDoc, '_id' | 'showPresence'>>()),
      );
      for (const d of docs) if (d && d.showPresence === false) hidden.add(d._id);
    }
    return hidden;
  }
}

/** A user's settings, the defaults where the user set nothing (or before the setting existed). */
export function withDefaults(doc: Partial<UserSettingsDoc> | null): UserSettings {
  return {
    showPresence: doc?.showPresence ?? DEFAULT_SETTINGS.showPresence,
    groupAdds: doc?.groupAdds ?? DEFAULT_SETTINGS.groupAdds,
    pushPreview: doc?.pushPreview ?? DEFAULT_SETTINGS.pushPreview,
  };
}
