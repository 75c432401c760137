// The typed API router: OpenAPI routes whose zod schemas validate requests and document them.
import { OpenAPIHono } from '@hono/zod-openapi';
import type { Env } from 'hono';
import { validationFailed } from '../lib/errors.ts';

export function createApiRouter<E extends Env = Env>(): OpenAPIHono<E> {
  return new OpenAPIHono<E>({
    defaultHook: (result) => {
      if (!result.success) throw validationFailed(result.error.issues);
    },
  });
}
