import { sendToEdges, type EdgeShares, type PushItem, type WhereOnline } from '@chat/delivery';
import {
  changeNotice,
  changeStatus,
  envelope,
  reactionNotice,
  readdressed,
  recipientsOf,
  RoutingKeys,
  ServerEvents,
  type DeliveryEnvelope,
  type MessageChange,
  type FanoutEvent,
  type GroupChangedEvent,
  type MessageChangedEvent,
  type MessagePersistedEvent,
  type MessageReactedEvent,
  type MessageRefusedEvent,
  type MessageRejectedEvent,
  type MessageView,
  type PinChangedEvent,
} from '@chat/contracts';
import { flagBlockedSender } from '@chat/domain';

/** Per online user, the edges holding its sockets ('*': an entry naming no edge, reached by all). */
export type PresencePort = WhereOnline;
export interface InboxPort {
  park(userId: string, messages: MessageView[]): Promise<void>;
  parkEvents(userId: string, items: Array<{ key: string; envelope: DeliveryEnvelope }>): Promise<void>;
}
/** Publishes each edge its share; resolves with how many listeners heard each (0: that edge is gone). */
export type EdgePort = EdgeShares;
export interface GroupMembersPort {
  /** Current members of each group (read when the batch is handled, so earlier membership changes count). */
  membersOf(groupIds: string[]): Promise<Map<string, string[]>>;
}
/** Collects parked messages into per-(user, room) push windows (PushWindows); absent when push is off. */
export interface PushPort {
  collect(items: PushItem[]): Promise<void>;
}
export interface BlockersPort {
  /** For each of these senders, who blocks them now (BlockStore.blockersOf). */
  blockersOf(senderIds: string[]): Promise<Map<string, Set<string>>>;
}

export interface DeliveryReport {
  live: number;
  parked: number;
  /** Per new or repeated message: how it was handed on (for its delivery trace), and when. */
  messages: MessageOutcome[];
  handedAt: number;
}

export interface MessageOutcome {
  messageId: string;
  /** Recipients handed it through an edge that heard it, and recipients it was parked for. */
  online: number;
  parked: number;
  /** The edges it was published to for those online. */
  edges: string[];
  replay: boolean;
  storedAt?: string;
  acceptedBy?: string;
}

type PlannedMessage = {
  userIds: string[];
  message: MessageView;
  correlationId: string;
  replay: boolean;
  storedAt?: string;
  acceptedBy?: string;
};

/** What an edit or delete means for each side: the actor learns the outcome, the others see the change. */
export function changeEnvelopes(e: MessageChangedEvent, groupMembers: string[] = []): DeliveryEnvelope[] {
  if (e.deletedBy === 'moderator') return moderatedEnvelopes(e, groupMembers);
  const actor = { userId: e.actorId };
  if (e.outcome === 'refused') {
    const statusEvent = e.change === 'edited' ? ServerEvents.editMessageStatus : ServerEvents.deleteMessageStatus;
    return [envelope(actor, statusEvent, { messageId: e.messageId, roomId: e.roomId, status: 'error', error: e.error })];
  }
  const change: MessageChange =
    e.change === 'edited' ? { change: 'edited', content: e.content, editedAt: e.editedAt } : { change: 'deleted', deletedAt: e.deletedAt };
  const out: DeliveryEnvelope[] = [{ ...actor, ...changeStatus(e, change) }];
  const peers = e.groupId ? groupMembers.filter((u) => u !== e.actorId) : e.peerId ? [e.peerId] : [];
  const notice = changeNotice(e, change);
  for (const userId of peers) out.push({ userId, ...notice });
  // the delete took the message off the pins: everyone who sees pins hears of it, the actor too
  if (e.unpinned)
    out.push(
      envelope({ userIds: [e.actorId, ...peers] }, ServerEvents.messageUnpinned, {
        roomId: e.roomId,
        messageId: e.messageId,
        by: e.actorId,
      }),
    );
  return out;
}

/** An operator's delete: every member hears of it, the sender too (nobody asked, so no status reply). */
function moderatedEnvelopes(e: MessageChangedEvent, groupMembers: string[]): DeliveryEnvelope[] {
  const members = e.groupId ? groupMembers : [...new Set([e.senderId, e.peerId].filter((u): u is string => Boolean(u)))];
  if (e.outcome !== 'applied' || members.length === 0) return [];
  const out: DeliveryEnvelope[] = members.map((userId) => ({
    userId,
    ...changeNotice(e, { change: 'deleted', deletedAt: e.deletedAt, deletedBy: 'moderator' }),
  }));
  if (e.unpinned)
    out.push(envelope({ userIds: members }, ServerEvents.messageUnpinned, { roomId: e.roomId, messageId: e.messageId, by: 'moderator' }));
  return out;
}

/** A send refused where it was to be stored: its sender alone is told, parked while away (it believes it sent). */
export function refusedEnvelopes(e: MessageRefusedEvent): DeliveryEnvelope[] {
  return [
    envelope({ userId: e.senderId }, ServerEvents.sendMessageStatus, {
      messageId: e.messageId,
      roomId: e.roomId,
      clientMsgId: e.clientMsgId,
      status: 'error',
      error: e.error,
    }),
  ];
}

/** An applied pin or unpin goes to every member (the actor's other devices too); a refusal to the actor alone. */
export function pinEnvelopes(e: PinChangedEvent): DeliveryEnvelope[] {
  if (e.outcome === 'refused') {
    const refused = { roomId: e.roomId, messageId: e.messageId, op: e.change === 'pinned' ? 'pin' : 'unpin', error: e.error } as const;
    return [envelope({ userId: e.actorId }, ServerEvents.pinError, refused)];
  }
  if (e.members.length === 0) return [];
  const event = e.change === 'pinned' ? ServerEvents.messagePinned : ServerEvents.messageUnpinned;
  return [envelope({ userIds: e.members }, event, { roomId: e.roomId, messageId: e.messageId, by: e.actorId })];
}

/**
 * An applied reaction goes to every member of the room, the actor's own devices included; a refused one
 * only to the actor. Not parked for members away: their connect-time sync reads the reactions from the
 * store (each change takes a room seq), which costs no Redis write per offline member of a large group.
 */
export function reactionEnvelopes(e: MessageReactedEvent, groupMembers: string[] = []): DeliveryEnvelope[] {
  if (e.outcome === 'refused') {
    const refused = { messageId: e.messageId, roomId: e.roomId, emoji: e.emoji, on: e.on, status: 'error', error: e.error } as const;
    return [envelope({ userId: e.actorId }, ServerEvents.reactMessageStatus, refused)];
  }
  const audience = e.groupId ? groupMembers : e.audience;
  if (audience.length === 0) return [];
  const { event, payload } = reactionNotice(e, { emoji: e.emoji, userId: e.actorId, on: e.on, counts: e.counts ?? {} });
  return [envelope({ userIds: audience }, event, payload)];
}

/**
 * A rejected message: only its sender's devices hear of it (parked while none is online, so the device that
 * sent it learns on its return); nobody else ever knew of it.
 */
export function rejectedEnvelopes(e: MessageRejectedEvent): DeliveryEnvelope[] {
  const { messageId, roomId, groupId, clientMsgId, reason } = e;
  return [
    envelope({ userId: e.senderId }, ServerEvents.messageRejected, {
      messageId,
      roomId,
      ...(groupId ? { groupId } : {}),
      clientMsgId,
      reason,
    }),
  ];
}

/** Who hears of a group change: members before and after; removed users also get removed_from_group. */
export function groupEnvelopes(e: GroupChangedEvent): DeliveryEnvelope[] {
  if (e.outcome === 'refused') {
    return [
      envelope({ userId: e.actorId }, ServerEvents.groupError, { groupId: e.groupId, op: e.op, inviteId: e.inviteId, error: e.error }),
    ];
  }
  if (e.op === 'invite') {
    const invitee = e.affected[0];
    const out: DeliveryEnvelope[] = [
      envelope({ userId: e.actorId }, ServerEvents.groupUpdated, {
        groupId: e.groupId,
        op: e.op,
        actorId: e.actorId,
        inviteId: e.inviteId,
        affected: e.affected,
      }),
    ];
    if (invitee)
      out.push(
        envelope({ userId: invitee }, ServerEvents.groupInvite, {
          inviteId: e.inviteId,
          groupId: e.groupId,
          name: e.group?.name,
          inviterId: e.actorId,
        }),
      );
    return out;
  }
  const members = e.group?.members ?? [];
  const invited = e.invited ?? [];
  // an add that only invited changed nothing the members see; invites are told to the actor alone, as for op invite
  const onlyInvited = e.op === 'add' && e.affected.length === 0 && invited.length > 0;
  const audience = onlyInvited ? [] : [...new Set([...members, ...e.previousMembers])].filter((u) => u !== e.actorId);
  const payload = { groupId: e.groupId, op: e.op, actorId: e.actorId, affected: e.affected, group: e.group };
  const out: DeliveryEnvelope[] = [
    envelope({ userId: e.actorId }, ServerEvents.groupUpdated, invited.length > 0 ? { ...payload, invited } : payload),
    ...audience.map((userId) => envelope({ userId }, ServerEvents.groupUpdated, payload)),
  ];
  for (const gone of e.previousMembers.filter((u) => !members.includes(u))) {
    out.push(envelope({ userId: gone }, ServerEvents.groupRemoved, { groupId: e.groupId, by: e.actorId }));
  }
  for (const i of invited) {
    out.push(
      envelope({ userId: i.userId }, ServerEvents.groupInvite, {
        inviteId: i.inviteId,
        groupId: e.groupId,
        name: e.group?.name,
        inviterId: e.actorId,
      }),
    );
  }
  return out;
}

/**
 * Routes what the persistence worker produced to the people concerned: live through the edges when they
 * have a socket, otherwise parked in their offline inbox. A group message goes out once, naming its online
 * recipients (each edge hands it to its own sockets); members mentioned also get taggedInMessage. Each
 * edge gets only the envelopes of the users whose sockets it holds (a user on two edges: one copy each),
 * one publish per edge per batch.
 */
export class DeliverMessagesUseCase {
  constructor(
    private readonly presence: PresencePort,
    private readonly inbox: InboxPort,
    private readonly edges: EdgePort,
    private readonly groups: GroupMembersPort,
    private readonly blocks: BlockersPort = { blockersOf: async () => new Map() },
    private readonly now: () => number = Date.now,
    private readonly push: PushPort | null = null,
  ) {}

  async execute(events: FanoutEvent[]): Promise<DeliveryReport> {
    const groupIds = [...new Set(events.flatMap((e) => groupOf(e) ?? []))];
    // the members who block a group message's sender get it flagged: one read per such sender per batch
    const groupSenders = [
      ...new Set(events.flatMap((e) => (e.type === RoutingKeys.messagePersisted && e.message.groupId ? [e.message.senderId] : []))),
    ];
    const [members, blockers] = await Promise.all([
      groupIds.length > 0 ? this.groups.membersOf(groupIds) : new Map<string, string[]>(),
      groupSenders.length > 0 ? this.blocks.blockersOf(groupSenders) : new Map<string, Set<string>>(),
    ]);

    // first work out every envelope, then one presence check for everyone involved
    const planned: DeliveryEnvelope[] = [];
    const messagesFor: PlannedMessage[] = [];
    for (const e of events) {
      const stamp = (list: DeliveryEnvelope[]) => list.map((env) => ({ ...env, correlationId: e.correlationId }));
      if (e.type === RoutingKeys.messagePersisted) planned.push(...stamp(this.planMessage(e, members, blockers, messagesFor)));
      else if (e.type === RoutingKeys.messageRefused) planned.push(...stamp(refusedEnvelopes(e)));
      else if (e.type === RoutingKeys.messageChanged)
        planned.push(...stamp(changeEnvelopes(e, e.groupId ? (members.get(e.groupId) ?? []) : [])));
      else if (e.type === RoutingKeys.pinChanged) planned.push(...stamp(pinEnvelopes(e)));
      else if (e.type === RoutingKeys.messageRejected) planned.push(...stamp(rejectedEnvelopes(e)));
      else if (e.type === RoutingKeys.messageReacted)
        planned.push(...stamp(reactionEnvelopes(e, e.groupId ? (members.get(e.groupId) ?? []) : [])));
      else planned.push(...stamp(groupEnvelopes(e)));
    }
    const everyone = [...new Set([...planned.flatMap(recipientsOf), ...messagesFor.flatMap((m) => m.userIds)])];
    const where = await this.presence.whereOnline(everyone);
    const online = { has: (u: string) => where.has(u) };

    const envelopes: DeliveryEnvelope[] = [];
    const parked = new Map<string, MessageView[]>();
    const parkedEvents = new Map<string, Array<{ key: string; envelope: DeliveryEnvelope }>>();
    const park = (userId: string, m: MessageView) => parked.set(userId, [...(parked.get(userId) ?? []), m]);
    const parkEvent = (userId: string, envelope: DeliveryEnvelope, key: string) =>
      parkedEvents.set(userId, [...(parkedEvents.get(userId) ?? []), { key, envelope }]);

    for (const { userIds, message, correlationId } of messagesFor) {
      const live = userIds.filter((u) => online.has(u));
      for (const u of userIds) if (!online.has(u)) park(u, message);
      const to = live.length === 1 ? { userId: live[0] } : { userIds: live };
      if (live.length > 0) envelopes.push(envelope(to, ServerEvents.receiveMessage, { message }, correlationId));
    }
    for (const env of planned) {
      if (env.userIds) {
        const live = env.userIds.filter((u) => online.has(u));
        if (live.length > 0) envelopes.push({ ...env, userIds: live });
        for (const u of env.userIds) if (!online.has(u) && PARKED_EVENTS.has(env.event)) parkEvent(u, readdressed(env, u), keyOf(env));
      } else if (env.userId && online.has(env.userId)) envelopes.push(env);
      else if (env.userId && PARKED_EVENTS.has(env.event)) parkEvent(env.userId, env, keyOf(env));
    }

    const receives = (list: DeliveryEnvelope[]) =>
      list.filter((e) => e.event === ServerEvents.receiveMessage).reduce((n, e) => n + recipientsOf(e).length, 0);
    let live = receives(envelopes);
    // the fanned-out time: before the edges can have handed anything to a device, so it precedes any delivery
    const handedAt = this.now();
    // presence said online but no edge holding the user is listening (it died, or is restarting): keep
    // the user's messages (the reconnect's sync finds them in the store either way)
    const unheard = await sendToEdges(this.edges, envelopes, where);
    for (const e of envelopes) {
      if (e.event !== ServerEvents.receiveMessage) continue;
      const m = e.payload.message;
      for (const u of recipientsOf(e)) {
        if (!unheard.has(u)) continue;
        park(u, m);
        live--;
      }
    }
    await Promise.all([
      ...[...parked].map(([userId, list]) => this.inbox.park(userId, list)),
      ...[...parkedEvents].map(([userId, list]) => this.inbox.parkEvents(userId, list)),
      ...(this.push ? [this.push.collect(pushItems(parked))] : []),
    ]);
    const messages = messagesFor.map(({ userIds, message, replay, storedAt, acceptedBy }): MessageOutcome => {
      const heard = userIds.filter((u) => online.has(u) && !unheard.has(u));
      const edges = [...new Set(heard.flatMap((u) => [...(where.get(u) ?? [])]))];
      return {
        messageId: message.id,
        online: heard.length,
        parked: userIds.length - heard.length,
        edges,
        replay,
        ...(storedAt ? { storedAt } : {}),
        ...(acceptedBy ? { acceptedBy } : {}),
      };
    });
    return { live, parked: [...parked.values()].reduce((n, l) => n + l.length, 0), messages, handedAt };
  }

  private planMessage(
    e: MessagePersistedEvent,
    members: Map<string, string[]>,
    blockers: Map<string, Set<string>>,
    out: PlannedMessage[],
  ): DeliveryEnvelope[] {
    const { message } = e;
    const trace = {
      replay: e.replay,
      ...(e.storedAt ? { storedAt: e.storedAt } : {}),
      ...(e.acceptedBy ? { acceptedBy: e.acceptedBy } : {}),
    };
    const planned: DeliveryEnvelope[] = [envelope({ userId: message.senderId }, ServerEvents.messageSent, { message })];
    if (!message.groupId) {
      out.push({ userIds: [message.receiverId], message, correlationId: e.correlationId, ...trace });
      return planned;
    }
    const group = members.get(message.groupId) ?? [];
    const blocking = blockers.get(message.senderId) ?? new Set<string>();
    // two copies: the members who block the sender get theirs flagged (and nobody else learns of it)
    const [plain, flagged] = [false, true].map((f) => group.filter((u) => u !== message.senderId && blocking.has(u) === f));
    const blockedView = flagBlockedSender(message, new Set([message.senderId]));
    if (plain.length > 0) out.push({ userIds: plain, message, correlationId: e.correlationId, ...trace });
    if (flagged.length > 0) out.push({ userIds: flagged, message: blockedView, correlationId: e.correlationId, ...trace });
    const tagged = (message.mentions ?? []).filter((u) => u !== message.senderId && group.includes(u));
    for (const [who, view] of [
      [tagged.filter((u) => !blocking.has(u)), message],
      [tagged.filter((u) => blocking.has(u)), blockedView],
    ] as const) {
      if (who.length > 0) planned.push(envelope({ userIds: who }, ServerEvents.taggedInMessage, { message: view }));
    }
    return planned;
  }
}

/** Notices worth keeping for someone offline (a message_sent echo or a status reply is not). */
const PARKED_EVENTS = new Set<string>([
  ServerEvents.sendMessageStatus,
  ServerEvents.messageEdited,
  ServerEvents.messageDeleted,
  ServerEvents.taggedInMessage,
  ServerEvents.groupInvite,
  ServerEvents.groupRemoved,
  ServerEvents.groupUpdated,
  ServerEvents.messageRejected,
]);

/** Group notices: each names one applied command, and two of the same kind (two renames) are two notices. */
const GROUP_EVENTS = new Set<string>([ServerEvents.groupUpdated, ServerEvents.groupRemoved]);

/**
 * The parked job's id: the same notice parked twice (a redelivered event) is one job, while two changes
 * are two jobs. A group notice is told apart by its command's correlation id, which a redelivery keeps
 * (BullMQ ids may not contain ':').
 */
export function keyOf(env: DeliveryEnvelope): string {
  const p = env.payload as {
    messageId?: string;
    message?: { id: string };
    groupId?: string;
    inviteId?: string;
    editedAt?: string;
    deletedAt?: string;
    op?: string;
  };
  const which = GROUP_EVENTS.has(env.event) ? `${p.op ?? ''}|${env.correlationId ?? ''}` : (p.editedAt ?? p.deletedAt ?? '');
  return [env.event, p.messageId ?? p.message?.id ?? p.inviteId ?? p.groupId, which].join('|').replace(/:/g, '');
}

/**
 * What the parked messages may announce by push: each receiver's parked messages, except those a receiver
 * who blocks their sender gets flagged (a blocked sender rings nobody). A failure fails the batch like a
 * failed park, so a redelivery collects again (adding a message twice keeps one).
 */
export function pushItems(parked: Map<string, MessageView[]>): PushItem[] {
  const items: PushItem[] = [];
  for (const [userId, list] of parked)
    for (const m of list)
      if (!m.blockedSender && m.seq !== null) items.push({ userId, roomId: m.roomId, messageId: m.id, senderId: m.senderId, seq: m.seq });
  return items;
}

function groupOf(e: FanoutEvent): string | undefined {
  if (e.type === RoutingKeys.messagePersisted) return e.message.groupId;
  if (e.type === RoutingKeys.messageChanged || e.type === RoutingKeys.messageReacted) return e.groupId;
  return undefined;
}
