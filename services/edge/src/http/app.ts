import express, { type Request, type RequestHandler, type Router } from 'express';
import cors from 'cors';
import helmet from 'helmet';
import swaggerUi from 'swagger-ui-express';
import { randomUUID } from 'node:crypto';
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
  EmptyDto,
  HistoryQueryDto,
  MessageIdDto,
  MessagesDeliveredDto,
  PageQueryDto,
  parseDto,
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
import type { Identity, TokenVerifier } from '@chat/auth';
import type { Logger } from '@chat/logging';
import type { ListConversationsUseCase } from '../usecases/list-conversations/list-conversations.usecase';
import type { ListOfflineUseCase } from '../usecases/list-offline/list-offline.usecase';
import type { OpenConversationUseCase } from '../usecases/open-conversation/open-conversation.usecase';
import type { ReadHistoryUseCase } from '../usecases/read-history/read-history.usecase';
import type { SendMessageUseCase } from '../usecases/send-message/send-message.usecase';
import type { ChangeMessageUseCase } from '../usecases/change-message/change-message.usecase';
import type { ReactMessageUseCase } from '../usecases/react-message/react-message.usecase';
import type { MarkReceiptsUseCase } from '../usecases/mark-receipts/mark-receipts.usecase';
import type { MarkRoomReadUseCase } from '../usecases/mark-room-read/mark-room-read.usecase';
import type { UnreadCountsUseCase } from '../usecases/unread-counts/unread-counts.usecase';
import type { GroupCommandUseCase } from '../usecases/group-command/group-command.usecase';
import type { GroupQueriesUseCase } from '../usecases/group-queries/group-queries.usecase';
import type { PresenceUseCase } from '../usecases/presence/presence.usecase';
import type { PinsUseCase } from '../usecases/pins/pins.usecase';
import type { RoomSettingsUseCase } from '../usecases/room-settings/room-settings.usecase';
import type { SearchMessagesUseCase } from '../usecases/search-messages/search-messages.usecase';
import type { BlocksUseCase } from '../usecases/blocks/blocks.usecase';
import type { ReportMessageUseCase } from '../usecases/reports/report-message.usecase';
import type { TraceMessageUseCase } from '../usecases/trace-message/trace-message.usecase';
import { API_CSP, DOCS_CSP, withCsp } from './csp';
import { errorHandler, notFound } from './errors';
import { buildOpenApi } from './openapi';
import type { RateLimits } from '../rate-limits';

export interface HttpDeps {
  verifier: TokenVerifier;
  log: Logger;
  openConversation: OpenConversationUseCase;
  listConversations: ListConversationsUseCase;
  sendMessage: SendMessageUseCase;
  readHistory: ReadHistoryUseCase;
  listOffline: ListOfflineUseCase;
  changeMessage: ChangeMessageUseCase;
  reactMessage: ReactMessageUseCase;
  markReceipts: MarkReceiptsUseCase;
  markRoomRead: MarkRoomReadUseCase;
  unreadCounts: UnreadCountsUseCase;
  groupCommand: GroupCommandUseCase;
  groupQueries: GroupQueriesUseCase;
  presence: PresenceUseCase;
  pins: PinsUseCase;
  roomSettings: RoomSettingsUseCase;
  searchMessages: SearchMessagesUseCase;
  blocks: BlocksUseCase;
  reportMessage: ReportMessageUseCase;
  traceMessage: TraceMessageUseCase;
  limits?: RateLimits;
  corsOrigins?: string[];
  /** TRUST_PROXY: the hops whose X-Forwarded-For (and -Proto) are believed; req.ip is the client behind them. */
  trustProxy?: string[];
  /** Extra routes mounted before the 404 (health, metrics). */
  extra?: (app: express.Express) => void;
}

export const MAX_BODY = '64kb';

type Authed = Request & { identity: Identity; correlationId: string };

function authenticate(verifier: TokenVerifier, log: Logger): RequestHandler {
  return async (req, res, next) => {
    const header = req.headers.authorization ?? '';
    const token = header.startsWith('Bearer ') ? header.slice(7).trim() : '';
    const identity = await verifier.verify(token);
    (req as Authed).identity = identity;
    // the caller's id (printable, bounded) or a new one; it follows the request through broker and workers
    const given = req.headers['x-correlation-id'];
    const correlationId = typeof given === 'string' && /^[\w.:-]{1,64}$/.test(given) ? given : randomUUID();
    (req as Authed).correlationId = correlationId;
    res.setHeader('x-correlation-id', correlationId);
    if (req.method !== 'GET')
      res.on('finish', () =>
        log.debug({ correlationId, method: req.method, path: req.path, status: res.statusCode, userId: identity.userId }, 'request'),
      );
    next();
  };
}

/** The REST API under /chat. Routes parse and validate, call one use case, and map the result. */
export function buildHttpApp(d: HttpDeps): express.Express {
  const app = express();
  app.disable('x-powered-by');
  app.set('trust proxy', d.trustProxy && d.trustProxy.length > 0 ? d.trustProxy : false);
  app.set('query parser', 'simple');
  // CSP per area: none at all for JSON, Swagger UI's needs on /docs only, per-page hashes on /admin and /demo
  app.use(helmet({ contentSecurityPolicy: false }));
  app.use(withCsp(API_CSP));
  app.use(cors({ origin: d.corsOrigins && d.corsOrigins.length > 0 ? d.corsOrigins : false }));
  // any JSON value parses; the DTO check then explains what shape was expected
  app.use(express.json({ limit: MAX_BODY, strict: false }));
  d.extra?.(app);
  const openapi = buildOpenApi();
  app.get('/docs/openapi.json', (_req, res) => void res.json(openapi));
  app.use('/docs', withCsp(DOCS_CSP), swaggerUi.serve, swaggerUi.setup(openapi));

  const chat = express.Router();
  // per client address before the token is checked, so a flood of bogus tokens stops here, not at auth
  if (d.limits) {
    const limits = d.limits;
    chat.use(async (req, _res, next) => {
      await limits.take('restIp', req.ip ?? '');
      next();
    });
  }
  chat.use(authenticate(d.verifier, d.log));
  if (d.limits) {
    const limits = d.limits;
    chat.use(async (req, _res, next) => {
      await limits.take('rest', (req as Authed).identity.userId);
      if (req.method !== 'GET') await limits.take('write', (req as Authed).identity.userId);
      next();
    });
  }
  const me = (req: Request) => (req as Authed).identity.userId;
  const cid = (req: Request) => (req as Authed).correlationId;
  // PATCH routes take their input from the path; a body, if any, must be empty
  const noBody = (req: Request) => {
    const body: unknown = req.body;
    if (body !== undefined && !(typeof body === 'object' && body !== null && Object.keys(body).length === 0)) parseDto(EmptyDto, body);
  };

  chat.post('/conversation', async (req, res) => {
    const dto = parseDto(CreateConversationDto, req.body);
    res.status(200).json({ conversation: await d.openConversation.execute({ userId: me(req), ...dto }) });
  });

  chat.get('/conversations/:userId', async (req, res) => {
    const { userId } = parseDto(UserIdParams, { ...req.params }, 'path');
    const page = parseDto(PageQueryDto, { ...req.query }, 'query');
    res.json({ conversations: await d.listConversations.execute({ userId: me(req), pathUserId: userId, ...page }) });
  });

  chat.post('/messages', async (req, res) => {
    const dto = parseDto(RestSendMessageDto, req.body);
    const message = await d.sendMessage.execute({ userId: me(req), dto, correlationId: (req as Authed).correlationId });
    res.status(202).json({ message });
  });

  chat.get('/messages/:roomId', async (req, res) => {
    const { roomId } = parseDto(RoomIdParams, { ...req.params }, 'path');
    const q = parseDto(HistoryQueryDto, { ...req.query }, 'query');
    res.json(
      await d.readHistory.execute({ userId: me(req), roomId, queryUserId: q.userId, before: q.before, after: q.after, limit: q.limit }),
    );
  });

  chat.get('/offline/:userId', async (req, res) => {
    const { userId } = parseDto(UserIdParams, { ...req.params }, 'path');
    const page = parseDto(PageQueryDto, { ...req.query }, 'query');
    res.json(await d.listOffline.execute({ userId: me(req), pathUserId: userId, ...page }));
  });

  chat.put('/message/:messageId', async (req, res) => {
    const { messageId } = parseDto(MessageIdDto, { ...req.params }, 'path');
    const body = parseDto(RestEditMessageDto, req.body);
    const r = await d.changeMessage.execute({
      kind: 'edit',
      userId: me(req),
      messageId,
      content: body.content,
      claimedUserId: body.senderId,
      correlationId: cid(req),
    });
    res.status(202).json(r);
  });

  chat.delete('/message/:messageId/:requesterId', async (req, res) => {
    const { messageId, requesterId } = parseDto(DeleteMessageParams, { ...req.params }, 'path');
    const r = await d.changeMessage.execute({
      kind: 'delete',
      userId: me(req),
      messageId,
      claimedUserId: requesterId,
      correlationId: cid(req),
    });
    res.status(202).json(r);
  });

  chat.post('/message/:messageId/reactions', async (req, res) => {
    const { messageId } = parseDto(MessageIdDto, { ...req.params }, 'path');
    const { emoji } = parseDto(ReactionBodyDto, req.body);
    res.status(202).json(await d.reactMessage.execute({ userId: me(req), messageId, emoji, on: true, correlationId: cid(req) }));
  });

  chat.delete('/message/:messageId/reactions/:emoji', async (req, res) => {
    const { messageId, emoji } = parseDto(ReactionParams, { ...req.params }, 'path');
    res.status(202).json(await d.reactMessage.execute({ userId: me(req), messageId, emoji, on: false, correlationId: cid(req) }));
  });

  // a member reports a message: stored by the room's worker with a snapshot of it, listed on /admin
  chat.post('/message/:messageId/report', async (req, res) => {
    const { messageId } = parseDto(MessageIdDto, { ...req.params }, 'path');
    const { reason } = parseDto(ReportMessageDto, req.body);
    res.status(202).json(await d.reportMessage.execute({ userId: me(req), messageId, reason, correlationId: cid(req) }));
  });

  chat.patch('/messages/delivered', async (req, res) => {
    const { messageIds } = parseDto(MessagesDeliveredDto, req.body);
    res.status(202).json(await d.markReceipts.execute({ userId: me(req), kind: 'delivered', messageIds, correlationId: cid(req) }));
  });

  chat.patch('/message/:messageId/delivered', async (req, res) => {
    const { messageId } = parseDto(MessageIdDto, { ...req.params }, 'path');
    noBody(req);
    res
      .status(202)
      .json(await d.markReceipts.execute({ userId: me(req), kind: 'delivered', messageIds: [messageId], correlationId: cid(req) }));
  });

  chat.patch('/message/read/room/:roomId/user/:userId', async (req, res) => {
    const { roomId, userId } = parseDto(RoomReadParams, { ...req.params }, 'path');
    noBody(req);
    res.status(202).json(await d.markRoomRead.execute({ userId: me(req), roomId, pathUserId: userId, correlationId: cid(req) }));
  });

  chat.patch('/message/read/:messageId', async (req, res) => {
    const { messageId } = parseDto(MessageIdDto, { ...req.params }, 'path');
    noBody(req);
    res.status(202).json(await d.markReceipts.execute({ userId: me(req), kind: 'read', messageIds: [messageId], correlationId: cid(req) }));
  });

  chat.get('/message/unread/:userId', async (req, res) => {
    const { userId } = parseDto(UserIdParams, { ...req.params }, 'path');
    res.json(await d.unreadCounts.execute({ userId: me(req), pathUserId: userId }));
  });

  chat.get('/search', async (req, res) => {
    const q = parseDto(SearchQueryDto, { ...req.query }, 'query');
    res.json(await d.searchMessages.execute({ userId: me(req), ...q }));
  });
  // the sender's view of one message's path; anyone else gets the 404 of an unknown id
  chat.get('/message/:messageId/trace', async (req, res) => {
    const { messageId } = parseDto(MessageIdDto, { ...req.params }, 'path');
    res.json({ trace: await d.traceMessage.execute(me(req), messageId) });
  });

  chat.get('/presence', async (req, res) => {
    const { userIds } = parseDto(PresenceQueryDto, { ...req.query }, 'query');
    res.json(await d.presence.query(me(req), userIds));
  });

  chat.get('/me/settings', async (req, res) => {
    res.json({ settings: await d.presence.settings(me(req)) });
  });

  chat.patch('/me/settings', async (req, res) => {
    const dto = parseDto(UserSettingsDto, req.body);
    res.json(await d.presence.updateSettings(me(req), dto));
  });

  // pins: accepted here (202) and applied in the room's order by its worker; the members hear message_pinned
  chat.post('/rooms/:roomId/pins', async (req, res) => {
    const { roomId } = parseDto(RoomIdParams, { ...req.params }, 'path');
    const { messageId } = parseDto(PinMessageDto, req.body);
    res.status(202).json(await d.pins.execute({ userId: me(req), roomId, messageId, op: 'pin', correlationId: cid(req) }));
  });

  chat.delete('/rooms/:roomId/pins/:messageId', async (req, res) => {
    const { roomId, messageId } = parseDto(RoomMessageParams, { ...req.params }, 'path');
    res.status(202).json(await d.pins.execute({ userId: me(req), roomId, messageId, op: 'unpin', correlationId: cid(req) }));
  });

  chat.get('/rooms/:roomId/pins', async (req, res) => {
    const { roomId } = parseDto(RoomIdParams, { ...req.params }, 'path');
    res.json(await d.pins.list(me(req), roomId));
  });

  // blocks: stored, and in force for every send after the answer (the pair's room worker is told first)
  chat.post('/blocks', async (req, res) => {
    const { userId } = parseDto(BlockUserDto, req.body);
    res.json(await d.blocks.block({ userId: me(req), targetId: userId, correlationId: cid(req) }));
  });

  chat.delete('/blocks/:userId', async (req, res) => {
    const { userId } = parseDto(UserIdParams, { ...req.params }, 'path');
    res.json(await d.blocks.unblock({ userId: me(req), targetId: userId, correlationId: cid(req) }));
  });

  chat.get('/blocks', async (req, res) => {
    const page = parseDto(PageQueryDto, { ...req.query }, 'query');
    res.json(await d.blocks.list(me(req), { limit: page.limit ?? 50, offset: page.offset ?? 0 }));
  });

  chat.patch('/rooms/:roomId/settings', async (req, res) => {
    const { roomId } = parseDto(RoomIdParams, { ...req.params }, 'path');
    const dto = parseDto(RoomSettingsDto, req.body);
    res.json({ settings: await d.roomSettings.update(me(req), roomId, dto) });
  });

  // groups: changes are accepted here (202) and applied in order by the group's worker
  const group = (req: Request, groupId: string | undefined, op: Parameters<GroupCommandUseCase['execute']>[0]['op']) =>
    d.groupCommand.execute({ userId: me(req), groupId, op, correlationId: cid(req) });

  chat.post('/groups', async (req, res) => {
    const dto = parseDto(CreateGroupDto, req.body);
    res.status(202).json(await group(req, undefined, { op: 'create', name: dto.name, memberIds: dto.memberIds }));
  });

  chat.get('/groups', async (req, res) => {
    const page = parseDto(PageQueryDto, { ...req.query }, 'query');
    res.json({ groups: await d.groupQueries.myGroups(me(req), page) });
  });

  chat.get('/groups/invites', async (req, res) => {
    const page = parseDto(PageQueryDto, { ...req.query }, 'query');
    res.json({ invites: await d.groupQueries.pendingInvites(me(req), page) });
  });

  chat.patch('/groups/invite/:inviteId/respond', async (req, res) => {
    const { inviteId } = parseDto(InviteIdParams, { ...req.params }, 'path');
    const { accept } = parseDto(RespondInviteDto, req.body);
    res.status(202).json(await group(req, undefined, { op: 'respond', inviteId, accept }));
  });

  chat.patch('/groups/:groupId', async (req, res) => {
    const { groupId } = parseDto(GroupIdParams, { ...req.params }, 'path');
    const { name } = parseDto(RenameGroupDto, req.body);
    res.status(202).json(await group(req, groupId, { op: 'rename', name }));
  });

  chat.get('/groups/:groupId/members', async (req, res) => {
    const { groupId } = parseDto(GroupIdParams, { ...req.params }, 'path');
    res.json(await d.groupQueries.members(me(req), groupId));
  });

  chat.post('/groups/:groupId/members', async (req, res) => {
    const { groupId } = parseDto(GroupIdParams, { ...req.params }, 'path');
    const { userIds } = parseDto(GroupMembersDto, req.body);
    res.status(202).json(await group(req, groupId, { op: 'add', userIds }));
  });

  chat.delete('/groups/:groupId/members/:userId', async (req, res) => {
    const { groupId, userId } = parseDto(GroupMemberParams, { ...req.params }, 'path');
    res.status(202).json(await group(req, groupId, { op: 'remove', userId }));
  });

  chat.post('/groups/:groupId/members/:userId/promote', async (req, res) => {
    const { groupId, userId } = parseDto(GroupMemberParams, { ...req.params }, 'path');
    noBody(req);
    res.status(202).json(await group(req, groupId, { op: 'promote', userId }));
  });

  chat.post('/groups/:groupId/leave', async (req, res) => {
    const { groupId } = parseDto(GroupIdParams, { ...req.params }, 'path');
    noBody(req);
    res.status(202).json(await group(req, groupId, { op: 'leave' }));
  });

  chat.post('/groups/:groupId/invite', async (req, res) => {
    const { groupId } = parseDto(GroupIdParams, { ...req.params }, 'path');
    const { userId } = parseDto(InviteDto, req.body);
    res.status(202).json(await group(req, groupId, { op: 'invite', inviteId: '', userId }));
  });

  chat.post('/groups/:groupId/messages', async (req, res) => {
    const { groupId } = parseDto(GroupIdParams, { ...req.params }, 'path');
    const dto = parseDto(GroupMessageDto, req.body);
    const message = await d.sendMessage.execute({
      userId: me(req),
      dto: { ...dto, roomId: groupId, receiverId: groupId },
      correlationId: cid(req),
    });
    res.status(202).json({ message });
  });

  chat.get('/groups/:groupId/messages', async (req, res) => {
    const { groupId } = parseDto(GroupIdParams, { ...req.params }, 'path');
    const q = parseDto(HistoryQueryDto, { ...req.query }, 'query');
    res.json(
      await d.readHistory.execute({
        userId: me(req),
        roomId: groupId,
        queryUserId: q.userId,
        before: q.before,
        after: q.after,
        limit: q.limit,
      }),
    );
  });

  chat.get('/groups/:groupId/messages/:messageId/receipts', async (req, res) => {
    const { groupId, messageId } = parseDto(GroupMessageParams, { ...req.params }, 'path');
    res.json(await d.groupQueries.messageReceipts(me(req), groupId, messageId));
  });

  chat.get('/groups/:groupId/tagged-messages', async (req, res) => {
    const { groupId } = parseDto(GroupIdParams, { ...req.params }, 'path');
    const page = parseDto(PageQueryDto, { ...req.query }, 'query');
    res.json({ messages: await d.groupQueries.tagged(me(req), groupId, page.limit) });
  });

  app.use('/chat', chat);
  app.use(notFound);
  app.use(errorHandler(d.log));
  app.locals.routes = listRoutes(chat, '/chat');
  return app;
}

/** The routes registered on a router, as `METHOD /path` (used to check the OpenAPI document is complete). */
export function listRoutes(router: Router, prefix: string): string[] {
  const out: string[] = [];
  for (const layer of (router as unknown as { stack: Array<{ route?: { path: string; methods: Record<string, boolean> } }> }).stack) {
    if (!layer.route) continue;
    for (const m of Object.keys(layer.route.methods)) out.push(`${m.toUpperCase()} ${prefix}${layer.route.path}`);
  }
  return out;
}
