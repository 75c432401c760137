// Errors from a Plaza server, with the contract's stable code.
import type { ErrorCode, ErrorPayload } from './protocol.ts';

export class PlazaError extends Error {
  readonly code: ErrorCode;
  readonly details: Record<string, unknown> | undefined;

  /** HTTP status, or 0 for a socket command's ack. */
  readonly status: number;

  constructor(
    payload: ErrorPayload,
    /** HTTP status, or 0 for a socket command's ack. */
    status: number,
  ) {
    super(payload.message);
    this.status = status;
    this.name = 'PlazaError';
    this.code = payload.code;
    this.details = payload.details;
  }

  /** For `rate_limited`: how long to wait before trying again. */
  get retryAfterMs(): number | undefined {
    const value = this.details?.retryAfterMs;
    return typeof value === 'number' ? value : undefined;
  }
}

export function isErrorBody(value: unknown): value is { error: ErrorPayload } {
  if (typeof value !== 'object' || value === null) return false;
  const error = (value as { error?: unknown }).error;
  return (
    typeof error === 'object' &&
    error !== null &&
    typeof (error as { code?: unknown }).code === 'string' &&
    typeof (error as { message?: unknown }).message === 'string'
  );
}
