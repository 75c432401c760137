// The one HTTP error renderer: every failure leaves in the contract's shape, unexpected ones without detail.
import type { Context, ErrorHandler, NotFoundHandler } from 'hono';
import { HTTPException } from 'hono/http-exception';
import { AppError, toAppError } from '../lib/errors.ts';
import type { Logger } from '../lib/logger.ts';

export function renderError(c: Context, error: AppError): Response {
  if (error.code === 'rate_limited') {
    const ms = Number(error.details?.retryAfterMs ?? 1_000);
    c.header('Retry-After', String(Math.max(1, Math.ceil(ms / 1_000))));
  }
  return c.json(error.toBody(), error.status);
}

/** Hono's own exceptions (malformed JSON, body limit) translated to contract codes. */
function fromHttpException(error: HTTPException): AppError {
  if (error.status === 413) return new AppError('payload_too_large', 'The request body is too large');
  if (error.status === 400 && /JSON/i.test(error.message)) {
    return new AppError('invalid_json', 'The request body is not valid JSON');
  }
  if (error.status === 400) return new AppError('validation_failed', error.message || 'Bad request');
  if (error.status === 401) return new AppError('unauthenticated', 'Sign in first');
  if (error.status === 403) return new AppError('forbidden', 'You are not allowed to do this');
  if (error.status === 404) return new AppError('not_found', 'Not found');
  // zod-openapi's media-type gate: a body sent without `Content-Type: application/json` is not our JSON.
  if (error.status === 415)
    return new AppError('invalid_json', 'Send the body as JSON (Content-Type: application/json)');
  // Any other refusal of the request itself is the client's to fix, not a fault of ours.
  if (error.status >= 400 && error.status < 500)
    return new AppError('validation_failed', error.message || 'Bad request');
  return new AppError('internal', 'Something went wrong on our side');
}

export function errorHandler(logger: Logger): ErrorHandler {
  return (error, c) => {
    const appError = error instanceof HTTPException ? fromHttpException(error) : toAppError(error);
    const where = { reqId: c.get('requestId'), method: c.req.method, path: c.req.path };
    if (appError.code === 'internal') logger.error({ err: error, ...where }, 'request failed');
    // A backing service away is an outage (/ready says so), not a bug: one warning line per request.
    else if (appError.code === 'unavailable')
      logger.warn({ ...where, cause: String(error) }, 'request failed');
    return renderError(c, appError);
  };
}

export const notFoundHandler: NotFoundHandler = (c) =>
  renderError(c, new AppError('not_found', `No route for ${c.req.method} ${c.req.path}`));
