// Builds the Hono app: middleware, operational routes and the /api/v1 router. No listening here.

import { randomUUID } from 'node:crypto';
import { SEQ_HEADER } from '@plaza/client/protocol';
import { Hono } from 'hono';
import { requestId } from 'hono/request-id';
// The pages' JSX is compiled by `npm run build` (Node strips types but compiles no JSX); tools that
// compile .tsx themselves (tsc, vitest) resolve this to the source: see package.json `imports`.
import { htmlErrorPage, pageRoutes, wantsHtml } from '#server-pages';
import { accountRoutes } from './account/account.routes.ts';
import { lifecycleRoutes } from './account/lifecycle.routes.ts';
import { adminRoutes } from './admin/admin.routes.ts';
import { QUEUES_BOARD_PATH, queuesBoardRoutes } from './admin/queues-board.routes.ts';
import { adminStatsRoutes } from './admin/stats.routes.ts';
import { createAuthContext } from './auth/auth.context.ts';
import { authRoutes } from './auth/auth.routes.ts';
import { sessionMiddleware } from './auth/session.middleware.ts';
import { sessionRoutes } from './auth/sessions.routes.ts';
import type { Deps } from './deps.ts';
import { docsRoutes } from './docs/docs.routes.ts';
import { registerOpenApiDocument } from './docs/openapi.document.ts';
import { eventRoutes } from './events/events.routes.ts';
import { healthRoutes } from './health/health.routes.ts';
import { createApiRouter } from './http/api.ts';
import { bodySizeLimit } from './http/body-limit.ts';
import type { AppEnv } from './http/env.ts';
import { errorHandler, notFoundHandler, renderError } from './http/errors.ts';
import { requestLog } from './http/request-log.ts';
import { seqHeader } from './http/seq-header.ts';
import { AppError } from './lib/errors.ts';
import { avatarRoutes } from './media/avatar.routes.ts';
import { localStoreRoutes } from './media/local-store.routes.ts';
import { LocalStore } from './media/local-store.ts';
import { mediaRoutes } from './media/media.routes.ts';
import { mediaStoreOf } from './media/store.factory.ts';
import { httpMetrics } from './metrics/http.metrics.ts';
import { metricsRoutes } from './metrics/metrics.routes.ts';
import { createServerMetrics, type ServerMetrics } from './metrics/server.metrics.ts';
import { moderationRoutes } from './moderation/reports.routes.ts';
import { notificationRoutes } from './notifications/notifications.routes.ts';
import type { Assets } from './pages/assets.ts';
import { mediaOriginsOf } from './pages/media-origins.ts';
import type { CallApi, PageDeps, SendApi } from './pages/page-context.ts';
import { feedRoutes } from './posts/posts.feature.ts';
import { safetyRoutes } from './safety/safety.routes.ts';
import { walletRoutes } from './wallet/wallet.routes.ts';

export const MAX_BODY_BYTES = 64 * 1024;

export interface AppDeps extends Deps {
  currentSeq: () => Promise<number>;
  isDraining: () => boolean;
  isRelayLeader: () => boolean;
  /** The process's metrics registry (instance.ts); in-process tests get a fresh one. */
  metrics?: ServerMetrics;
  /** Sockets connected across all instances, for the admin overview; absent without a socket server. */
  connectedSockets?: () => Promise<number>;
  /** Browser assets; without them (in-process API tests) the pages are not mounted. */
  assets?: Assets;
}

export type App = Hono<AppEnv>;

export function createApp(deps: AppDeps): App {
  const app = new Hono<AppEnv>();
  const metrics =
    deps.metrics ?? createServerMetrics({ queues: deps.queues, isRelayLeader: deps.isRelayLeader });
  app.use(httpMetrics(metrics));
  // Request ids need no time order: a v4 from node's pooled generator costs a twentieth of a v7.
  app.use(requestId({ generator: () => randomUUID(), limitLength: 128 }));
  app.use(requestLog(deps.logger));
  // Before the 64 KiB body limit and sessions: uploads are large and authorised by their signature alone.
  const store = mediaStoreOf(deps.config);
  if (store instanceof LocalStore) app.route('/', localStoreRoutes(store));
  app.use(
    bodySizeLimit(MAX_BODY_BYTES, (c) =>
      renderError(c, new AppError('payload_too_large', 'The request body exceeds 64 KiB')),
    ),
  );
  app.use(
    sessionMiddleware({ db: deps.db, publicUrl: deps.config.publicUrl, sessionCache: deps.sessionCache }),
  );

  app.route('/', healthRoutes(deps));
  app.route('/', metricsRoutes(metrics.registry));
  app.route('/', docsRoutes());
  app.route(QUEUES_BOARD_PATH, queuesBoardRoutes(deps.queues));

  const api = createApiRouter<AppEnv>();
  api.use(seqHeader(deps.currentSeq));
  registerOpenApiDocument(api, { publicUrl: deps.config.publicUrl, version: '1' });
  // Feature routers mount here, each built from `deps`: api.route('/', featureRoutes(deps)).
  const auth = createAuthContext(deps);
  api.route('/', authRoutes(auth));
  api.route('/', sessionRoutes(auth));
  api.route('/', accountRoutes(auth));
  api.route('/', lifecycleRoutes(auth));
  api.route('/', adminRoutes(deps));
  api.route('/', moderationRoutes(deps));
  api.route('/', walletRoutes(deps));
  api.route('/', feedRoutes(deps));
  api.route('/', safetyRoutes(deps));
  api.route('/', eventRoutes(deps));
  api.route('/', notificationRoutes(deps));
  api.route('/', adminStatsRoutes(deps));
  api.route('/', mediaRoutes(deps));
  api.route('/', avatarRoutes(deps));
  app.route('/api/v1', api);

  let pageDeps: PageDeps | undefined;
  if (deps.assets) {
    app.route('/', deps.assets.routes);
    // Pages render from the same API the SDK uses, called in-process with the viewer's credentials.
    const callApi: CallApi = async (c, path) => {
      const headers = new Headers({ 'x-request-id': c.get('requestId') });
      for (const name of ['cookie', 'authorization', 'user-agent']) {
        const value = c.req.header(name);
        if (value) headers.set(name, value);
      }
      const res = await app.request(`/api/v1${path}`, { headers });
      // A page drawn from a failed read would show "no posts" and a seq of 0 (the bundle would resume
      // from the start): fail the page with the API's status instead (503 while PostgreSQL is away).
      if (res.status >= 500) {
        throw res.status === 503
          ? new AppError('unavailable', 'A backing service is unavailable, try again')
          : new AppError('internal', 'Something went wrong on our side');
      }
      const json = res.headers.get('content-type')?.includes('application/json');
      return {
        status: res.status,
        data: json ? await res.json() : null,
        seq: Number(res.headers.get(SEQ_HEADER) ?? 0),
      };
    };
    const sendApi: SendApi = async (c, method, path, body, extraHeaders) => {
      const headers = new Headers({ 'x-request-id': c.get('requestId') });
      for (const name of ['cookie', 'authorization', 'user-agent', 'origin', 'referer', 'x-forwarded-for']) {
        const value = c.req.header(name);
        if (value) headers.set(name, value);
      }
      if (body !== undefined) headers.set('content-type', 'application/json');
      for (const [name, value] of Object.entries(extraHeaders ?? {})) headers.set(name, value);
      // c.env carries the connection, so the API sees the same client address (its per-address limits).
      // On the page's own origin: the API's CSRF rule compares the browser's Origin with the request URL's.
      const res = await app.request(
        new URL(`/api/v1${path}`, c.req.url).href,
        { method, headers, ...(body !== undefined ? { body: JSON.stringify(body) } : {}) },
        c.env,
      );
      for (const cookie of res.headers.getSetCookie()) c.header('set-cookie', cookie, { append: true });
      const json = res.headers.get('content-type')?.includes('application/json');
      return { status: res.status, data: json ? await res.json() : null, seq: 0 };
    };
    pageDeps = {
      callApi,
      sendApi,
      logger: deps.logger,
      currency: deps.config.currency,
      assetUrl: deps.assets.url,
      mediaOrigins: mediaOriginsOf(deps.config.media, deps.config.publicUrl),
    };
    app.route('/', pageRoutes(pageDeps));
  }

  // A browser following a dead link (or meeting an outage) outside /api/ gets an HTML page with the
  // layout; API clients and everything under /api/ keep the contract's JSON.
  const onError = errorHandler(deps.logger);
  app.notFound((c) =>
    pageDeps && wantsHtml(c)
      ? htmlErrorPage(pageDeps, c, new AppError('not_found', 'No such page'))
      : notFoundHandler(c),
  );
  app.onError((error, c) =>
    pageDeps && wantsHtml(c) ? htmlErrorPage(pageDeps, c, error) : onError(error, c),
  );
  return app;
}
