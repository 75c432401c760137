// Builds the Hono app: middleware, operational routes and the /api/v1 router. No listening here.
import { Hono } from 'hono';
import { bodyLimit } from 'hono/body-limit';
import { requestId } from 'hono/request-id';
import { sessionMiddleware } from './auth/session.middleware.ts';
import type { Deps } from './deps.ts';
import { healthRoutes } from './health/health.routes.ts';
import { createApiRouter } from './http/api.ts';
import type { AppEnv } from './http/env.ts';
import { errorHandler, notFoundHandler, renderError } from './http/errors.ts';
import { requestLog } from './http/request-log.ts';
import { seqHeader } from './http/seq-header.ts';
import { AppError } from './lib/errors.ts';
import { newId } from './lib/ids.ts';

export const MAX_BODY_BYTES = 64 * 1024;

export interface AppDeps extends Deps {
  currentSeq: () => Promise<number>;
  isDraining: () => boolean;
  isRelayLeader: () => boolean;
}

export type App = Hono<AppEnv>;

export function createApp(deps: AppDeps): App {
  const app = new Hono<AppEnv>();
  app.use(requestId({ generator: () => newId(), limitLength: 128 }));
  app.use(requestLog(deps.logger));
  app.use(
    bodyLimit({
      maxSize: MAX_BODY_BYTES,
      onError: (c) => renderError(c, new AppError('payload_too_large', 'The request body exceeds 64 KiB')),
    }),
  );
  app.use(sessionMiddleware({ db: deps.db, publicUrl: deps.config.publicUrl }));

  app.route('/', healthRoutes(deps));

  const api = createApiRouter<AppEnv>();
  api.use(seqHeader(deps.currentSeq));
  // Feature routers mount here, each built from `deps`: api.route('/', featureRoutes(deps)).
  app.route('/api/v1', api);

  app.notFound(notFoundHandler);
  app.onError(errorHandler(deps.logger));
  return app;
}
