// The server-rendered pages (API.md "Pages"), with a strict Content-Security-Policy: scripts, styles,
// workers and sockets from our own origin only, so rendered user content can never run.
import { Hono } from 'hono';
import { secureHeaders } from 'hono/secure-headers';
import type { AppEnv } from '../http/env.ts';
import { loginPage, registerPage, resetPasswordPage, verifyPage } from './account.pages.tsx';
import { eventPage, eventsPage } from './events.pages.tsx';
import { feedPage, postPage, profilePage } from './feed.pages.tsx';
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
