import { pairKey } from '@chat/contracts';
import { groupAddsDirectly, UNKNOWN_JOINER, type Joiner } from '@chat/domain';
import { lookupEach } from './lookup-each';
import { tailIsOpen } from './room-tail';
import type { ConversationDoc, Models, UserSettingsDoc } from './models';
import { withDefaults } from './user-settings-store';

/**
 * Whether `writer` has written to `reader` in their one-to-one conversation. Opening that conversation
 * takes one side only, so it proves nothing of the other's consent; a message from the writer does. From
 * the room's per-sender summary (lastSeqBy) when it can say; only while its tail is open (the summary may
 * lag the messages) or the room keeps no such map are the messages read, which on FerretDB v1 reads the
 * whole room.
 */
export async function hasWrittenTo(m: Models, writer: string, reader: string): Promise<boolean> {
  // the key alone, as findOrCreatePair reads it (a group's key is "group:<id>", never a pair's)
  const room = await m.Conversation.findOne({ key: pairKey(writer, reader) })
    .select({ _id: 1, lastSeqBy: 1, sendersTracked: 1, tailOpen: 1 })
    .lean<Pick<ConversationDoc, '_id' | 'lastSeqBy' | 'sendersTracked' | 'tailOpen'>>();
  if (!room) return false;
  if (room.sendersTracked === true) {
    if ((room.lastSeqBy?.[writer] ?? 0) > 0) return true;
    if (!tailIsOpen(room)) return false;
  }
  return (
    (await m.Message.findOne({ roomId: String(room._id), senderId: writer })
      .select({ _id: 1 })
      .lean()) !== null
  );
}

/** The user's groups counted up to `cap` (the rules only ask whether the cap is reached). */
export async function groupsOfUpTo(m: Models, userId: string, cap: number): Promise<number> {
  const rows = await m.Membership.find({ userId, kind: 'group' }).select({ _id: 1 }).limit(cap).batchSize(cap).lean();
  return rows.length;
}

/**
 * What the group rules need of the users a command would put in a group (Joiner): the listed users'
 * settings, whether each wrote to the actor (asked only where the setting makes it count) and their groups
 * (only of those who would be added at once); with `withActor`, the actor's groups too. Lookups by key and
 * _id, a few at a time (see lookupEach).
 */
export async function joinersOf(
  m: Models,
  actorId: string,
  listed: string[],
  opts: { groupCap: number; withActor: boolean },
): Promise<Map<string, Joiner>> {
  const users = [...new Set(listed)].filter((u) => u !== actorId);
  const found = await lookupEach(users, async (userId): Promise<[string, Joiner]> => {
    const { groupAdds } = withDefaults(await m.UserSettings.findById(userId).select({ groupAdds: 1 }).lean<Partial<UserSettingsDoc>>());
    const contact = groupAdds === 'contacts' ? await hasWrittenTo(m, userId, actorId) : false;
    const direct = groupAddsDirectly({ groupAdds, contact, groups: 0 });
    return [userId, { groupAdds, contact, groups: direct ? await groupsOfUpTo(m, userId, opts.groupCap) : 0 }];
  });
  const out = new Map(found);
  // of the actor only the groups count: no one adds the actor but the actor
  if (opts.withActor) out.set(actorId, { ...UNKNOWN_JOINER, groups: await groupsOfUpTo(m, actorId, opts.groupCap) });
  return out;
}
