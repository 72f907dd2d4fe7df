import { createBullBoard } from '@bull-board/api';
import { BullMQAdapter } from '@bull-board/api/bullMQAdapter';
import { ExpressAdapter } from '@bull-board/express';
import { Queue } from 'bullmq';
import { parse as parseCookies } from 'cookie';
import express, { type Request, type RequestHandler } from 'express';
import type { Redis } from 'ioredis';
import { join } from 'node:path';
import type { Identity, TokenVerifier } from '@chat/auth';
import type { QueueAdmin } from '@chat/broker';
import type { ModerationOverview, OutboundQueue } from '@chat/delivery';
import { AppError, Forbidden, Invalid, NotFound, parseDto, ReportIdParams, Unauthenticated } from '@chat/contracts';
import type { Logger } from '@chat/logging';
import { stagePercentiles, type StageSummary } from '@chat/ops';
import type { RateLimits } from '../rate-limits';
import type { ModerationUseCase } from '../usecases/reports/moderation.usecase';
import { BOARD_CSP, sendPage, withCsp } from './csp';

export interface AdminDeps {
  verifier: TokenVerifier;
  queues: QueueAdmin;
  redis: Redis;
  namespace: string;
  log: Logger;
  /** Sign-in attempts per client address. */
  limits?: RateLimits;
  /** What the persistence workers report of the moderation hook (none report while MODERATION_URL is unset). */
  moderationHook?: { read(): Promise<ModerationOverview> };
  /** Most offline queues bull-board lists at once (there is one per user with parked messages). */
  maxBoardQueues?: number;
  /** Reported messages: the open reports, and an operator's decision on one. */
  moderation?: ModerationUseCase;
  /** Every process's last-minute stage latencies (StageTimes.read). */
  stageTimes?: { read(): Promise<unknown[]> };
  /** Outgoing deliveries (webhooks, push): counts, dead letters and their replay. */
  outbound?: Pick<OutboundQueue, 'counts' | 'deadLetters' | 'replay'>;
}

export const ADMIN_COOKIE = 'chat_admin';
const PUBLIC_DIR = join(__dirname, '..', '..', 'public');

/**
 * The operators' dashboard under /admin, for tokens with role "admin" only: RabbitMQ queue depths, dead
 * letters with replay, reported messages with their decisions, the moderation hook's counts (our page,
 * /admin), and bull-board for the BullMQ offline queues (/admin/queues).
 * A browser signs in once by posting its token to /admin/login, which sets an HttpOnly, SameSite=Strict
 * cookie scoped to /admin; scripts may send `Authorization: Bearer` instead. State-changing calls also
 * require the `x-chat-admin` header, which a cross-site form cannot send.
 */
export function mountAdmin(app: express.Express, d: AdminDeps): void {
  const router = express.Router();
  const max = d.maxBoardQueues ?? 200;

  const identify = async (req: Request): Promise<Identity> => {
    const header = req.headers.authorization ?? '';
    const token = header.startsWith('Bearer ') ? header.slice(7).trim() : (parseCookies(req.headers.cookie ?? '')[ADMIN_COOKIE] ?? '');
    const identity = await d.verifier.verify(token);
    if (identity.role !== 'admin') throw new Forbidden('the dashboard is for admins');
    return identity;
  };

  router.get('/login', sendPage(join(PUBLIC_DIR, 'admin', 'login.html')));
  router.post('/login', express.urlencoded({ extended: false, limit: '16kb' }), async (req, res) => {
    await d.limits?.take('login', req.ip ?? '');
    const body = req.body as { token?: unknown } | undefined;
    const token = typeof body?.token === 'string' ? body.token.trim() : '';
    let identity: Identity;
    try {
      identity = await d.verifier.verify(token);
    } catch (err) {
      if (err instanceof Unauthenticated) return void res.redirect(303, '/admin/login?error=invalid');
      throw err;
    }
    if (identity.role !== 'admin') return void res.redirect(303, '/admin/login?error=forbidden');
    res.cookie(ADMIN_COOKIE, token, {
      httpOnly: true,
      sameSite: 'strict',
      path: '/admin',
      secure: req.secure,
      maxAge: Math.max(0, identity.expiresAt * 1000 - Date.now()),
    });
    d.log.info({ userId: identity.userId }, 'admin signed in to the dashboard');
    res.redirect(303, '/admin');
  });
  router.post('/logout', (_req, res) => {
    res.clearCookie(ADMIN_COOKIE, { path: '/admin' });
    res.redirect(303, '/admin/login');
  });

  const requireAdmin: RequestHandler = async (req, res, next) => {
    try {
      (req as Request & { identity: Identity }).identity = await identify(req);
    } catch (err) {
      // a person in a browser is sent to sign in; an API client gets the error
      if (err instanceof AppError && req.method === 'GET' && req.accepts(['json', 'html']) === 'html' && !req.headers.authorization) {
        return void res.redirect(303, '/admin/login');
      }
      throw err;
    }
    if (req.method !== 'GET' && req.headers['x-chat-admin'] !== '1') throw new Forbidden('missing x-chat-admin header');
    next();
  };
  router.use(requireAdmin);

  router.get('/', sendPage(join(PUBLIC_DIR, 'admin', 'index.html')));
  router.get('/api/queues', async (_req, res) => {
    res.json({ queues: await d.queues.stats() });
  });
  // p50/p99 per stage over the last minute, from the counts every process publishes (added up, then read)
  router.get('/api/stages', async (_req, res) => {
    const summaries = ((await d.stageTimes?.read()) ?? []) as StageSummary[];
    res.json({ windowS: 60, processes: summaries.length, stages: stagePercentiles(summaries) });
  });
  router.get('/api/dead-letters', async (req, res) => {
    res.json({ deadLetters: await d.queues.listDeadLetters(boundedLimit(req.query.limit, 50, 500)) });
  });
  router.get('/api/moderation', async (_req, res) => {
    res.json(d.moderationHook ? await d.moderationHook.read() : { workers: [], total: null });
  });
  router.post('/api/dead-letters/replay', express.json({ limit: '4kb', strict: true }), async (req, res) => {
    const limit = boundedLimit((req.body as { limit?: unknown } | undefined)?.limit, 100, 10_000);
    const result = await d.queues.replayDeadLetters(limit);
    d.log.warn({ userId: (req as Request & { identity: Identity }).identity.userId, ...result }, 'dead letters replayed by an operator');
    res.json(result);
  });

  const outbound = d.outbound;
  if (outbound) {
    router.get('/api/outbound', async (req, res) => {
      const raw = req.query.offset;
      if (raw !== undefined && (typeof raw !== 'string' || !/^\d{1,6}$/.test(raw)))
        throw new Invalid('offset must be an integer from 0 to 999999');
      const offset = raw === undefined ? 0 : Number(raw);
      const [counts, deadLetters] = await Promise.all([
        outbound.counts(),
        outbound.deadLetters(offset, boundedLimit(req.query.limit, 50, 500)),
      ]);
      res.json({ counts, deadLetters });
    });
    router.post('/api/outbound/:jobId/replay', async (req: Request, res) => {
      const jobId = String(req.params.jobId);
      if (!(await outbound.replay(jobId))) throw new NotFound('no dead letter with that id');
      d.log.warn(
        { userId: (req as Request & { identity: Identity }).identity.userId, jobId },
        'outbound dead letter replayed by an operator',
      );
      res.status(202).json({ jobId, replayed: true });
    });
  }

  const moderation = d.moderation;
  if (moderation) {
    router.get('/api/reports', async (req, res) => {
      res.json(await moderation.open(boundedLimit(req.query.limit, 50, 500)));
    });
    const decide =
      (action: 'resolve' | 'delete'): RequestHandler =>
      async (req, res) => {
        const { reportId } = parseDto(ReportIdParams, { ...req.params }, 'path');
        const operatorId = (req as Request & { identity: Identity }).identity.userId;
        const result = await moderation.decide(operatorId, reportId, action);
        d.log.warn({ userId: operatorId, reportId, action }, 'report decided by an operator');
        res.status(202).json(result);
      };
    router.post('/api/reports/:reportId/resolve', decide('resolve'));
    router.post('/api/reports/:reportId/delete-message', decide('delete'));
  }

  // bull-board: the offline queues that exist now, found with SCAN (one per user with parked messages)
  const board = new ExpressAdapter();
  board.setBasePath('/admin/queues');
  const { replaceQueues } = createBullBoard({ queues: [], serverAdapter: board, options: { uiConfig: { boardTitle: 'Offline queues' } } });
  const open = new Map<string, Queue>();
  const prefix = `${d.namespace}:bull`;
  const refreshBoard: RequestHandler = async (req, _res, next) => {
    // the page and its first API call refresh the list; job-level calls reuse it
    if (req.path === '/' || req.path === '/api/queues') {
      const names = await scanQueueNames(d.redis, prefix, max);
      for (const [name, q] of open) {
        if (!names.includes(name)) {
          open.delete(name);
          // not awaited by the page; a failure to close is logged, not left to crash the edge as an unhandled rejection
          q.close().catch((err: Error) => d.log.warn({ err: err.message, queue: name }, 'admin: closing a gone offline queue failed'));
        }
      }
      for (const name of names) if (!open.has(name)) open.set(name, new Queue(name, { connection: d.redis, prefix }));
      replaceQueues([...open.values()].map((q) => new BullMQAdapter(q, { readOnlyMode: false })));
    }
    next();
  };
  router.use('/queues', withCsp(BOARD_CSP), refreshBoard, board.getRouter() as RequestHandler);

  app.use('/admin', router);
}

function boundedLimit(raw: unknown, fallback: number, max: number): number {
  if (raw === undefined || raw === '') return fallback;
  const n = typeof raw === 'number' ? raw : typeof raw === 'string' && /^\d{1,6}$/.test(raw) ? Number(raw) : NaN;
  if (!Number.isInteger(n) || n < 1 || n > max) throw new Invalid(`limit must be an integer from 1 to ${max}`);
  return n;
}

async function scanQueueNames(redis: Redis, prefix: string, max: number): Promise<string[]> {
  const names = new Set<string>();
  let cursor = '0';
  do {
    const [next, keys] = await redis.scan(cursor, 'MATCH', `${prefix}:offline.*:meta`, 'COUNT', 1000);
    cursor = next;
    for (const k of keys) names.add(k.slice(prefix.length + 1, -':meta'.length));
  } while (cursor !== '0' && names.size < max);
  return [...names].sort().slice(0, max);
}
