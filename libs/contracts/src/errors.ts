/** The small set of typed errors that use cases and workers throw; each transport maps them once. */
export type ErrorCode =
  | 'VALIDATION_FAILED'
  | 'INVALID_JSON'
  | 'PAYLOAD_TOO_LARGE'
  | 'UNAUTHENTICATED'
  | 'FORBIDDEN'
  /** The other user blocks the caller: no one-to-one conversation, message, invite or add from the caller. */
  | 'BLOCKED'
  | 'NOT_FOUND'
  | 'CONFLICT'
  | 'EDIT_WINDOW_CLOSED'
  /** A bound is reached (the groups one user may be in, the emoji kinds one message may carry). */
  | 'LIMIT_REACHED'
  /** The moderation hook turned the content down (an edit; a send hears of it as message_rejected). */
  | 'MODERATION_REJECTED'
  | 'RATE_LIMITED'
  | 'BUSY'
  | 'UNAVAILABLE'
  | 'INTERNAL';

export class AppError extends Error {
  constructor(
    readonly code: ErrorCode,
    message: string,
    readonly details?: unknown,
  ) {
    super(message);
    this.name = new.target.name;
  }
}
export class Invalid extends AppError {
  constructor(message: string, details?: unknown) {
    super('VALIDATION_FAILED', message, details);
  }
}
export class Unauthenticated extends AppError {
  constructor(message = 'a valid access token is required') {
    super('UNAUTHENTICATED', message);
  }
}
export class Forbidden extends AppError {
  constructor(message = 'not allowed') {
    super('FORBIDDEN', message);
  }
}
/** The other user blocks the caller (the one thing a block tells the blocked user). */
export class Blocked extends AppError {
  constructor(message = 'this user does not accept this from you') {
    super('BLOCKED', message);
  }
}
export class NotFound extends AppError {
  constructor(message = 'not found') {
    super('NOT_FOUND', message);
  }
}
export class Conflict extends AppError {
  constructor(message: string, code: 'CONFLICT' | 'EDIT_WINDOW_CLOSED' | 'LIMIT_REACHED' = 'CONFLICT') {
    super(code, message);
  }
}
export class RateLimited extends AppError {
  constructor(readonly retryAfterMs: number) {
    super('RATE_LIMITED', 'too many requests, slow down', { retryAfterMs });
  }
}
/** The system cannot take this now (the store is behind): retry after retryAfterMs. Nothing was accepted. */
export class Busy extends AppError {
  constructor(readonly retryAfterMs: number) {
    super('BUSY', 'the service is behind on storing messages; retry later');
  }
}
export class Unavailable extends AppError {
  constructor(message = 'a dependency is unavailable, retry later') {
    super('UNAVAILABLE', message);
  }
}

export const HTTP_STATUS: Record<ErrorCode, number> = {
  VALIDATION_FAILED: 400,
  INVALID_JSON: 400,
  PAYLOAD_TOO_LARGE: 413,
  UNAUTHENTICATED: 401,
  FORBIDDEN: 403,
  BLOCKED: 403,
  NOT_FOUND: 404,
  CONFLICT: 409,
  EDIT_WINDOW_CLOSED: 409,
  LIMIT_REACHED: 409,
  MODERATION_REJECTED: 422,
  RATE_LIMITED: 429,
  BUSY: 503,
  UNAVAILABLE: 503,
  INTERNAL: 500,
};

export interface ErrorBody {
  error: { code: ErrorCode; message: string; details?: unknown; retryAfterMs?: number };
}

/** The one wire shape for every refusal; unknown errors never leak their message. */
export function toErrorBody(err: unknown): ErrorBody {
  if (err instanceof Busy) return { error: { code: err.code, message: err.message, retryAfterMs: err.retryAfterMs } };
  if (err instanceof AppError) {
    return { error: { code: err.code, message: err.message, ...(err.details ? { details: err.details } : {}) } };
  }
  return { error: { code: 'INTERNAL', message: 'internal error' } };
}
