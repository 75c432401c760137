// The typed API router: OpenAPI routes whose zod schemas validate requests and document them.
import { OpenAPIHono } from '@hono/zod-openapi';
import type { Env } from 'hono';
import { signInRequired } from '../auth/session.middleware.ts';
import { validationFailed } from '../lib/errors.ts';

/** Either credential, or none: the route answers anonymous callers too (maybe with less). */
const OPTIONAL_AUTH = [{ bearer: [] }, { cookie: [] }, {}];
/** Either credential; anonymous callers get 401. */
const REQUIRED_AUTH = [{ bearer: [] }, { cookie: [] }];

type RouteConfig = Parameters<OpenAPIHono['openapi']>[0];

/**
 * A route's documented security from its own middleware: behind requireActor/requireRole it needs a
 * credential; a route that declares `security` (the sign-in routes: `[]`, public) keeps it; any other
 * serves anonymous callers too. Said once here so no route hand-writes a padlock that can drift.
 */
export function withSecurity<R extends RouteConfig>(route: R): R {
  if (route.security) return route;
  const middleware = [route.middleware ?? []].flat() as unknown[];
  const required = middleware.some((m) => typeof m === 'function' && signInRequired.has(m as never));
  return { ...route, security: required ? REQUIRED_AUTH : OPTIONAL_AUTH };
}

export function createApiRouter<E extends Env = Env>(): OpenAPIHono<E> {
  const router = new OpenAPIHono<E>({
    defaultHook: (result) => {
      if (!result.success) throw validationFailed(result.error.issues);
    },
  });
  // The generator never sees a route's middleware (registration drops it): read it on the way in.
  const openapi = router.openapi;
  router.openapi = ((route, handler, hook) => openapi(withSecurity(route), handler, hook)) as typeof openapi;
  return router;
}
