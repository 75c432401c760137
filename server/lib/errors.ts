// The one error type of Plaza: stable codes of the wire contract, rendered the same by REST and socket acks.
import type { ErrorBody, ErrorCode } from '@plaza/client/protocol';

export const errorStatus = {
  validation_failed: 400,
  invalid_json: 400,
  captcha_failed: 400,
  invalid_code: 400,
  unauthenticated: 401,
  invalid_credentials: 401,
  forbidden: 403,
  email_not_verified: 403,
  not_found: 404,
  conflict: 409,
  idempotency_conflict: 409,
  resume_gap: 410,
  payload_too_large: 413,
  unsupported_media_type: 415,
  rate_limited: 429,
  internal: 500,
  unavailable: 503,
} as const satisfies Record<ErrorCode, number>;

export type { ErrorCode };

export class AppError extends Error {
  readonly status: (typeof errorStatus)[ErrorCode];

  readonly code: ErrorCode;
  readonly details?: Record<string, unknown>;

  constructor(code: ErrorCode, message: string, details?: Record<string, unknown>) {
    super(message);
    this.code = code;
    this.details = details;
    this.name = 'AppError';
    this.status = errorStatus[code];
  }

  toBody(): ErrorBody {
    return {
      error: { code: this.code, message: this.message, ...(this.details ? { details: this.details } : {}) },
    };
  }
}

export const notFound = (what = 'Resource') => new AppError('not_found', `${what} not found`);
export const forbidden = (message = 'You are not allowed to do this') => new AppError('forbidden', message);
export const unauthenticated = () => new AppError('unauthenticated', 'Sign in first');
export const rateLimited = (retryAfterMs: number) =>
  new AppError('rate_limited', 'Too many requests, try again later', {
    retryAfterMs: Math.max(0, Math.ceil(retryAfterMs)),
  });

/** Issues from a zod error as details every client can show next to the field. */
export function validationFailed(issues: ReadonlyArray<{ path: PropertyKey[]; message: string }>): AppError {
  return new AppError('validation_failed', 'The request is not valid', {
    issues: issues.map((i) => ({ path: i.path.map(String).join('.'), message: i.message })),
  });
}

const PG_UNAVAILABLE = new Set(['57P01', '57P02', '57P03', '53300', '08000', '08001', '08003', '08006']);
const NET_UNAVAILABLE = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EPIPE', 'EHOSTUNREACH']);

/**
 * Any thrown value → AppError. Errors we did not raise become `internal`
 * (their message is never sent), except lost PostgreSQL/Redis connections → `unavailable`.
 */
export function toAppError(error: unknown): AppError {
  if (error instanceof AppError) return error;
  if (isUnavailable(error)) return new AppError('unavailable', 'A backing service is unavailable, try again');
  if (isRefusedValue(error)) return new AppError('validation_failed', 'A value is not valid here');
  // Raised by the database for anything new in the name of a deleted account (migration 0021).
  if ((error as { code?: unknown } | null)?.code === 'PZ401')
    return new AppError('unauthenticated', 'This account has been deleted');
  return new AppError('internal', 'Something went wrong on our side');
}

/**
 * PostgreSQL refusing a value the schemas let through: a NUL character (text cannot hold U+0000), a
 * malformed uuid or date, a number out of the column's range. The input is at fault, not the server.
 */
const PG_REFUSED_VALUE = new Set(['22021', '22P05', '22P02', '22003', '22007', '22008']);

function isRefusedValue(error: unknown): boolean {
  if (typeof error !== 'object' || error === null) return false;
  const code = (error as { code?: unknown }).code;
  return typeof code === 'string' && PG_REFUSED_VALUE.has(code);
}

function isUnavailable(error: unknown): boolean {
  if (typeof error !== 'object' || error === null) return false;
  const code = (error as { code?: unknown }).code;
  const message = (error as { message?: unknown }).message;
  if (typeof code === 'string' && (PG_UNAVAILABLE.has(code) || NET_UNAVAILABLE.has(code))) return true;
  if (typeof message === 'string') {
    return /Connection terminated|timeout exceeded when trying to connect|Query read timeout|Connection is closed|max retries per request/i.test(
      message,
    );
  }
  return false;
}
