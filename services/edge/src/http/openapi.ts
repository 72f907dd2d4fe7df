import { targetConstructorToSchema } from 'class-validator-jsonschema';
import {
  BlockUserDto,
  CreateGroupDto,
  GroupIdParams,
  GroupMemberParams,
  GroupMessageParams,
  GroupMembersDto,
  GroupMessageDto,
  InviteDto,
  InviteIdParams,
  RenameGroupDto,
  RespondInviteDto,
  CreateConversationDto,
  DeleteMessageParams,
  HistoryQueryDto,
  MessageIdDto,
  MessagesDeliveredDto,
  PageQueryDto,
  PinMessageDto,
  PresenceQueryDto,
  RoomMessageParams,
  RoomSettingsDto,
  ReactionBodyDto,
  ReactionParams,
  UserSettingsDto,
  RestEditMessageDto,
  RestSendMessageDto,
  RoomIdParams,
  RoomReadParams,
  SearchQueryDto,
  ReportMessageDto,
  UserIdParams,
} from '@chat/contracts';

type Ctor = new () => object;

export interface RouteDoc {
  method: 'get' | 'post' | 'put' | 'patch' | 'delete';
  /** Express-style path, e.g. /chat/messages/:roomId */
  path: string;
  summary: string;
  params?: Ctor;
  query?: Ctor;
  body?: Ctor;
  status: number;
  response: string;
}

/** Every route of the REST API. The document below is built from this list; a spec checks it against Express. */
export const ROUTES: RouteDoc[] = [
  {
    method: 'post',
    path: '/chat/conversation',
    summary: 'Create the one-to-one conversation with another user, or return the existing one',
    body: CreateConversationDto,
    status: 200,
    response: '{ conversation }',
  },
  {
    method: 'get',
    path: '/chat/conversations/:userId',
    summary: "The caller's conversations, most recent activity first, with the other participant, last message and unread count",
    params: UserIdParams,
    query: PageQueryDto,
    status: 200,
    response: '{ conversations }',
  },
  {
    method: 'post',
    path: '/chat/messages',
    summary: 'Send a message; answered once the broker confirmed it (seq is assigned when stored)',
    body: RestSendMessageDto,
    status: 202,
    response: '{ message }',
  },
  {
    method: 'get',
    path: '/chat/messages/:roomId',
    summary: 'History: newest first (page with before=<seq>), or oldest first from after=<seq>; deleted messages as tombstones',
    params: RoomIdParams,
    query: HistoryQueryDto,
    status: 200,
    response: '{ messages, hasMore, order }',
  },
  {
    method: 'get',
    path: '/chat/offline/:userId',
    summary: "The caller's parked (not yet delivered) messages, in order",
    params: UserIdParams,
    query: PageQueryDto,
    status: 200,
    response: '{ messages, hasMore }: a page (limit ≤ 100, default 100; offset counts parked items)',
  },
  {
    method: 'put',
    path: '/chat/message/:messageId',
    summary: 'Edit your message within the edit window; the outcome also arrives as edit_message_status',
    params: MessageIdDto,
    body: RestEditMessageDto,
    status: 202,
    response: '{ messageId, roomId, status: "accepted" }',
  },
  {
    method: 'delete',
    path: '/chat/message/:messageId/:requesterId',
    summary: 'Soft-delete your message (requesterId must be you); history keeps a tombstone',
    params: DeleteMessageParams,
    status: 202,
    response: '{ messageId, roomId, status: "accepted" }',
  },
  {
    method: 'post',
    path: '/chat/message/:messageId/reactions',
    summary:
      'React to a message of a room you are in (one per emoji per user; at most 20 different emoji per message: LIMIT_REACHED); members get message_reaction',
    params: MessageIdDto,
    body: ReactionBodyDto,
    status: 202,
    response: '{ messageId, roomId, emoji, on: true, status: "accepted" }',
  },
  {
    method: 'delete',
    path: '/chat/message/:messageId/reactions/:emoji',
    summary: 'Take back your reaction with this emoji (URL-encoded); members get message_reaction',
    params: ReactionParams,
    status: 202,
    response: '{ messageId, roomId, emoji, on: false, status: "accepted" }',
  },
  {
    method: 'patch',
    path: '/chat/messages/delivered',
    summary: 'Mark messages you received as delivered (at most 500)',
    body: MessagesDeliveredDto,
    status: 202,
    response: '{ messageIds, status: "delivered" }',
  },
  {
    method: 'patch',
    path: '/chat/message/:messageId/delivered',
    summary: 'Mark one message you received as delivered',
    params: MessageIdDto,
    status: 202,
    response: '{ messageIds, status: "delivered" }',
  },
  {
    method: 'patch',
    path: '/chat/message/read/:messageId',
    summary: 'Mark a message you received, and everything before it in the room, as read',
    params: MessageIdDto,
    status: 202,
    response: '{ messageIds, status: "read" }',
  },
  {
    method: 'patch',
    path: '/chat/message/read/room/:roomId/user/:userId',
    summary:
      'Mark everything in the room read up to its last message (one write; one event to the peer, or one group_receipt with the counts in a group)',
    params: RoomReadParams,
    status: 202,
    response: '{ roomId, upToSeq, status: "read" }',
  },
  {
    method: 'post',
    path: '/chat/groups',
    summary:
      'Create a group; you are its admin. Members whose groupAdds setting does not let you add them are invited instead (group_invite). Applied by the group worker; members get group_updated',
    body: CreateGroupDto,
    status: 202,
    response: '{ groupId, op, status: "accepted", added, invited }',
  },
  {
    method: 'get',
    path: '/chat/groups',
    summary: 'Your groups, most recent activity first, each with members, admins, last message and your unread count',
    query: PageQueryDto,
    status: 200,
    response: '{ groups }',
  },
  {
    method: 'get',
    path: '/chat/groups/invites',
    summary: 'Invites waiting for your answer, newest first (inviteId is what answering takes)',
    query: PageQueryDto,
    status: 200,
    response: '{ invites: [{ inviteId, groupId, name, inviterId, createdAt }] }',
  },
  {
    method: 'patch',
    path: '/chat/groups/invite/:inviteId/respond',
    summary: 'Accept or decline an invite addressed to you',
    params: InviteIdParams,
    body: RespondInviteDto,
    status: 202,
    response: '{ groupId, op, status: "accepted" }',
  },
  {
    method: 'patch',
    path: '/chat/groups/:groupId',
    summary: 'Rename a group (admins)',
    params: GroupIdParams,
    body: RenameGroupDto,
    status: 202,
    response: '{ groupId, op, status: "accepted" }',
  },
  {
    method: 'get',
    path: '/chat/groups/:groupId/members',
    summary: 'Members (oldest first) and admins (members only)',
    params: GroupIdParams,
    status: 200,
    response: '{ groupId, members, admins }',
  },
  {
    method: 'post',
    path: '/chat/groups/:groupId/members',
    summary: 'Add members (admins), within the member limit; users whose groupAdds setting does not let you add them are invited instead',
    params: GroupIdParams,
    body: GroupMembersDto,
    status: 202,
    response: '{ groupId, op, status: "accepted", added, invited }',
  },
  {
    method: 'delete',
    path: '/chat/groups/:groupId/members/:userId',
    summary: 'Remove a member (admins); they stop receiving at once and lose access to history',
    params: GroupMemberParams,
    status: 202,
    response: '{ groupId, op, status: "accepted" }',
  },
  {
    method: 'post',
    path: '/chat/groups/:groupId/members/:userId/promote',
    summary: 'Make a member an admin (admins)',
    params: GroupMemberParams,
    status: 202,
    response: '{ groupId, op, status: "accepted" }',
  },
  {
    method: 'post',
    path: '/chat/groups/:groupId/leave',
    summary: 'Leave a group; the last admin leaving hands admin to the oldest member',
    params: GroupIdParams,
    status: 202,
    response: '{ groupId, op, status: "accepted" }',
  },
  {
    method: 'post',
    path: '/chat/groups/:groupId/invite',
    summary: 'Invite a user (admins); they get group_invite',
    params: GroupIdParams,
    body: InviteDto,
    status: 202,
    response: '{ groupId, op, inviteId, status: "accepted" }',
  },
  {
    method: 'post',
    path: '/chat/groups/:groupId/messages',
    summary: 'Send a group message, optionally mentioning members',
    params: GroupIdParams,
    body: GroupMessageDto,
    status: 202,
    response: '{ message }',
  },
  {
    method: 'get',
    path: '/chat/groups/:groupId/messages',
    summary: 'Group history with the same cursors; each message carries receipts { delivered, read, of }',
    params: GroupIdParams,
    query: HistoryQueryDto,
    status: 200,
    response: '{ messages, hasMore, order }',
  },
  {
    method: 'get',
    path: '/chat/groups/:groupId/messages/:messageId/receipts',
    summary: 'For the sender of a group message: which other members have it (delivered) and which read it',
    params: GroupMessageParams,
    status: 200,
    response: '{ messageId, deliveredTo, readBy, of }',
  },
  {
    method: 'get',
    path: '/chat/groups/:groupId/tagged-messages',
    summary: "The caller's mentions in a group, newest first",
    params: GroupIdParams,
    query: PageQueryDto,
    status: 200,
    response: '{ messages }',
  },
  {
    method: 'get',
    path: '/chat/search',
    summary:
      'Messages holding every word of q (2-200 characters, whole words, any case) in your rooms or in roomId, newest first; page with before=nextBefore. On FerretDB only the newest SEARCH_SCAN_LIMIT messages are searched (partial: true, searchedSince)',
    query: SearchQueryDto,
    status: 200,
    response: '{ messages, nextBefore, partial, searchedSince }',
  },
  {
    method: 'get',
    path: '/chat/message/:messageId/trace',
    summary:
      "Your message's path: accepted (edge, time), stored (seq, time), fanned out (online through which edges, or parked; a group: counts), delivered and read (a group: member counts); anyone else gets 404",
    params: MessageIdDto,
    status: 200,
    response: '{ trace: { messageId, roomId, kind, accepted, stored, fannedOut, delivered, read } }',
  },
  {
    method: 'get',
    path: '/chat/presence',
    summary:
      'Online state and last seen of up to 100 users you share a room with (userIds=a,b; anyone else: 404); null where either side hides presence',
    query: PresenceQueryDto,
    status: 200,
    response: '{ presence: [{ userId, online, lastSeenAt }] }',
  },
  {
    method: 'get',
    path: '/chat/me/settings',
    summary: 'Your settings',
    status: 200,
    response: '{ settings: { showPresence, groupAdds, pushPreview } }',
  },
  {
    method: 'patch',
    path: '/chat/me/settings',
    summary:
      'Change your settings (the fields given); showPresence false hides your presence from everyone and everyone’s from you; groupAdds says who may add you to a group without an invite: contacts (default), everyone or nobody; pushPreview false sends pushes without message text',
    body: UserSettingsDto,
    status: 200,
    response: '{ settings: { showPresence, groupAdds, pushPreview } }',
  },
  {
    method: 'post',
    path: '/chat/rooms/:roomId/pins',
    summary: 'Pin a message of the room (one-to-one: either participant; group: admins); at most 50 per room (409 LIMIT_REACHED)',
    params: RoomIdParams,
    body: PinMessageDto,
    status: 202,
    response: '{ roomId, messageId, op, status: "accepted" }; members then get message_pinned',
  },
  {
    method: 'delete',
    path: '/chat/rooms/:roomId/pins/:messageId',
    summary: 'Unpin a message (same rights as pinning)',
    params: RoomMessageParams,
    status: 202,
    response: '{ roomId, messageId, op, status: "accepted" }; members then get message_unpinned',
  },
  {
    method: 'get',
    path: '/chat/rooms/:roomId/pins',
    summary: "The room's pinned messages, newest pin first",
    params: RoomIdParams,
    status: 200,
    response: '{ roomId, pins: [{ messageId, pinnedBy, pinnedAt, message }] }',
  },
  {
    method: 'patch',
    path: '/chat/rooms/:roomId/settings',
    summary: 'Mute the room for yourself (muted: true, optional until: a future ISO time) or unmute it (muted: false)',
    params: RoomIdParams,
    body: RoomSettingsDto,
    status: 200,
    response: '{ settings: { roomId, muted, mutedUntil } }',
  },
  {
    method: 'post',
    path: '/chat/message/:messageId/report',
    summary: 'Report a message of a room you are in (someone else’s, not deleted); operators see it on /admin',
    params: MessageIdDto,
    body: ReportMessageDto,
    status: 202,
    response: '{ reportId, messageId, status: "accepted" }',
  },
  {
    method: 'post',
    path: '/chat/blocks',
    summary: 'Block a user: from then on it cannot open a conversation with you, write to you, add or invite you (403 BLOCKED)',
    body: BlockUserDto,
    status: 200,
    response: '{ userId, blocked: true }',
  },
  {
    method: 'delete',
    path: '/chat/blocks/:userId',
    summary: 'Unblock a user (unblocking someone not blocked changes nothing)',
    params: UserIdParams,
    status: 200,
    response: '{ userId, blocked: false }',
  },
  {
    method: 'get',
    path: '/chat/blocks',
    summary: 'The users you block, newest first',
    query: PageQueryDto,
    status: 200,
    response: '{ blocks: [{ userId, blockedAt }] }',
  },
  {
    method: 'get',
    path: '/chat/message/unread/:userId',
    summary: "The caller's unread counts, in all and per room",
    params: UserIdParams,
    status: 200,
    response: '{ count, byRoom }',
  },
];

const ERROR_SCHEMA = {
  type: 'object',
  required: ['error'],
  properties: {
    error: {
      type: 'object',
      required: ['code', 'message'],
      properties: {
        code: {
          type: 'string',
          enum: [
            'VALIDATION_FAILED',
            'INVALID_JSON',
            'PAYLOAD_TOO_LARGE',
            'UNAUTHENTICATED',
            'FORBIDDEN',
            'BLOCKED',
            'NOT_FOUND',
            'CONFLICT',
            'EDIT_WINDOW_CLOSED',
            'LIMIT_REACHED',
            'MODERATION_REJECTED',
            'RATE_LIMITED',
            'BUSY',
            'UNAVAILABLE',
          ],
        },
        message: { type: 'string' },
        details: {},
        retryAfterMs: { type: 'integer', description: 'BUSY: when to try again' },
      },
    },
  },
};

const openApiPath = (p: string) => p.replace(/:(\w+)/g, '{$1}');

export function buildOpenApi(): Record<string, unknown> {
  // schemas of exactly the DTO classes the routes use (not whatever else is in class-validator's global registry)
  const classes = [...new Set(ROUTES.flatMap((r) => [r.params, r.query, r.body]).filter((c): c is Ctor => Boolean(c)))];
  const schemas = Object.fromEntries(classes.map((c) => [c.name, targetConstructorToSchema(c)])) as Record<
    string,
    { properties?: Record<string, unknown>; required?: string[] }
  >;
  const paths: Record<string, Record<string, unknown>> = {};
  for (const r of ROUTES) {
    const parameters = [
      ...Object.entries(r.params ? (schemas[r.params.name]?.properties ?? {}) : {}).map(([name, schema]) => ({
        name,
        in: 'path',
        required: true,
        schema,
      })),
      ...Object.entries(r.query ? (schemas[r.query.name]?.properties ?? {}) : {}).map(([name, schema]) => ({
        name,
        in: 'query',
        required: false,
        schema,
      })),
    ];
    const errors = Object.fromEntries(
      ['400', '401', '403', '404', '409', '413', '503'].map((code) => [
        code,
        { description: 'refused', content: { 'application/json': { schema: { $ref: '#/components/schemas/Error' } } } },
      ]),
    );
    (paths[openApiPath(r.path)] ??= {})[r.method] = {
      summary: r.summary,
      security: [{ bearer: [] }],
      parameters,
      ...(r.body
        ? { requestBody: { required: true, content: { 'application/json': { schema: { $ref: `#/components/schemas/${r.body.name}` } } } } }
        : {}),
      responses: { [String(r.status)]: { description: r.response }, ...errors },
    };
  }
  return {
    openapi: '3.0.3',
    info: {
      title: 'chat-backend REST API',
      version: '1.0.0',
      description:
        'Identity comes from the bearer token (validated by the auth service over gRPC). Every refusal is { error: { code, message } }. Real-time events use Socket.IO on namespace /chat: see the README.',
    },
    servers: [{ url: '/' }],
    components: {
      securitySchemes: { bearer: { type: 'http', scheme: 'bearer', bearerFormat: 'JWT' } },
      schemas: { ...schemas, Error: ERROR_SCHEMA },
    },
    paths,
  };
}
