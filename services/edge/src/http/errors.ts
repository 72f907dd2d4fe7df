import type { ErrorRequestHandler, RequestHandler } from 'express';
import { AppError, Busy, HTTP_STATUS, RateLimited, toErrorBody } from '@chat/contracts';
import type { Logger } from '@chat/logging';
import { errors } from '@chat/ops';

/** Maps every error to `{ error: { code, message } }` and its status; internal details stay in the log. */
export function errorHandler(log: Logger): ErrorRequestHandler {
  return (err, req, res, _next) => {
    const bodyErr = err as { type?: string; status?: number };
    const count = (code: string) => errors.inc({ code, transport: 'http' });
    if (bodyErr?.type === 'entity.parse.failed') {
      count('INVALID_JSON');
      res.status(400).json({ error: { code: 'INVALID_JSON', message: 'request body is not valid JSON' } });
      return;
    }
    if (bodyErr?.type === 'entity.too.large') {
      count('PAYLOAD_TOO_LARGE');
      res.status(413).json({ error: { code: 'PAYLOAD_TOO_LARGE', message: 'request body is too large' } });
      return;
    }
    if (bodyErr?.type && typeof bodyErr.status === 'number' && bodyErr.status < 500) {
      count('VALIDATION_FAILED');
      res.status(400).json({ error: { code: 'VALIDATION_FAILED', message: 'request body could not be read' } });
      return;
    }
    if (!(err instanceof AppError))
      log.error({ err: (err as Error)?.message, stack: (err as Error)?.stack, path: req.path }, 'unhandled error');
    const body = toErrorBody(err);
    count(body.error.code);
    if (err instanceof RateLimited || err instanceof Busy) res.setHeader('Retry-After', String(Math.ceil(err.retryAfterMs / 1000)));
    res.status(HTTP_STATUS[body.error.code]).json(body);
  };
}

export const notFound: RequestHandler = (_req, res) => {
  res.status(404).json({ error: { code: 'NOT_FOUND', message: 'no such route' } });
};
