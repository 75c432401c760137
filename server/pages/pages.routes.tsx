// The server-rendered pages (API.md "Pages"), with a strict Content-Security-Policy: scripts, styles,
// workers and sockets from our own origin only, so rendered user content can never run.
import { Hono } from 'hono';
import { secureHeaders } from 'hono/secure-headers';
import type { AppEnv } from '../http/env.ts';
import { toAppError } from '../lib/errors.ts';
import { loginPage, registerPage, resetPasswordPage, verifyPage } from './account.pages.tsx';
import { eventPage, eventsPage } from './events.pages.tsx';
import { feedPage, postPage, profilePage } from './feed.pages.tsx';
import { takeFlash } from './flash.ts';
import { Layout } from './layout.tsx';
import type { PageDeps } from './page-context.ts';
import { notificationsPage, walletPage } from './wallet.pages.tsx';

export function pageRoutes(deps: PageDeps): Hono<AppEnv> {
  const pages = new Hono<AppEnv>();
  pages.use(
    secureHeaders({
      contentSecurityPolicy: {
        defaultSrc: ["'self'"],
        scriptSrc: ["'self'"],
        styleSrc: ["'self'"],
        imgSrc: ["'self'", 'data:'],
        connectSrc: ["'self'"],
        workerSrc: ["'self'"],
        objectSrc: ["'none'"],
        baseUri: ["'self'"],
        formAction: ["'self'"],
        frameAncestors: ["'none'"],
      },
      crossOriginEmbedderPolicy: false,
    }),
  );
  pages.use(async (c, next) => {
    await next();
    // Pages are per viewer and live: never serve a stale copy from a shared cache.
    if (c.res.headers.get('content-type')?.startsWith('text/html'))
      c.header('Cache-Control', 'private, no-store');
  });
  // A person gets an HTML page, not the API's JSON, when a page cannot be drawn (e.g. 503 while
  // PostgreSQL is away); the status stays the API's.
  pages.onError((error, c) => {
    const appError = toAppError(error);
    if (appError.code === 'internal') deps.logger?.error({ err: error, path: c.req.path }, 'page failed');
    const title = appError.code === 'unavailable' ? 'Temporarily unavailable' : 'Something went wrong';
    return c.html(
      <Layout
        flash={takeFlash(c)}
        title={title}
        page="none"
        path={c.req.path}
        viewer={null}
        seq={0}
        assetUrl={deps.assetUrl}
      >
        <h1>{title}</h1>
        <p class="card">
          {appError.code === 'unavailable'
            ? 'Plaza cannot reach its database right now. Please try again in a moment.'
            : 'We could not show this page. Please try again.'}
        </p>
      </Layout>,
      appError.status,
    );
  });
  pages.get('/', (c) => feedPage(deps, c));
  pages.get('/posts/:id', (c) => postPage(deps, c));
  pages.get('/u/:username', (c) => profilePage(deps, c));
  pages.get('/events', (c) => eventsPage(deps, c));
  pages.get('/events/:id', (c) => eventPage(deps, c));
  pages.get('/wallet', (c) => walletPage(deps, c));
  pages.get('/notifications', (c) => notificationsPage(deps, c));
  pages.get('/login', (c) => loginPage(deps, c));
  pages.get('/register', (c) => registerPage(deps, c));
  pages.get('/verify', (c) => verifyPage(deps, c));
  pages.get('/reset-password', (c) => resetPasswordPage(deps, c));
  return pages;
}
