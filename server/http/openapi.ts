// Shared OpenAPI pieces: the error body, standard error responses, JSON bodies. Every route documents
// its success and its errors with these, so /api/v1/openapi.json covers the whole contract.
import { z } from '@hono/zod-openapi';

export const ErrorSchema = z
  .object({
    error: z.object({
      code: z.string().openapi({ example: 'validation_failed' }),
      message: z.string(),
      details: z.record(z.string(), z.unknown()).optional(),
    }),
  })
  .openapi('Error');

const errorDescriptions = {
  400: 'Invalid input (validation_failed, invalid_json, captcha_failed, invalid_code)',
  401: 'Not signed in, or wrong credentials (unauthenticated, invalid_credentials)',
  403: 'Not allowed (forbidden, email_not_verified)',
  404: 'Not found (not_found)',
  409: 'Conflict (conflict, idempotency_conflict)',
  413: 'Body over 64 KiB, or a media over MEDIA_MAX_BYTES (payload_too_large)',
  415: 'A media type Plaza does not accept (unsupported_media_type)',
  429: 'Too many requests (rate_limited), with Retry-After',
  503: 'A backing service is unavailable (unavailable)',
} as const;

export type ErrorStatus = keyof typeof errorDescriptions;

const errorContent = { 'application/json': { schema: ErrorSchema } };

/** The error responses of a route; 400, 413 and 503 are possible everywhere and always included. */
export function errorResponses(...statuses: ErrorStatus[]) {
  const all = new Set<ErrorStatus>([400, 413, 503, ...statuses]);
  return Object.fromEntries(
    [...all].map((status) => [status, { description: errorDescriptions[status], content: errorContent }]),
  ) as Record<ErrorStatus, { description: string; content: typeof errorContent }>;
}

export const jsonBody = <T extends z.ZodType>(schema: T, description = 'JSON body') => ({
  required: true,
  description,
  content: { 'application/json': { schema } },
});

export const jsonResponse = <T extends z.ZodType>(schema: T, description: string) => ({
  description,
  content: { 'application/json': { schema } },
});

export const noContent = (description = 'Done') => ({ description });

/**
 * `schema | null` where `schema` is a named component (`.openapi('Name')`). Its `.nullable()` inherits the
 * component's name, so whichever use the generator meets first decides whether the shared component
 * admits null (UserRef once did, making every `author` nullable). Here null is said at the use site:
 * `anyOf: [$ref, {type: 'null'}]`, the component itself stays non-null (test/ops/openapi.test.ts checks).
 */
export const orNull = <T extends z.ZodType>(schema: T) => z.union([schema, z.null()]);

export const pageOf = <T extends z.ZodType>(item: T) =>
  z.object({ items: z.array(item), nextCursor: z.string().nullable() });
