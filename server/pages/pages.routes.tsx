// The server-rendered pages (API.md "Pages"), with a strict Content-Security-Policy: scripts, styles,
// workers and sockets from our own origin only, so rendered user content can never run.
import { Hono } from 'hono';
import { secureHeaders } from 'hono/secure-headers';
import type { AppEnv } from '../http/env.ts';
import { accountForms } from './account.forms.ts';
import { loginPage, registerPage, resetPasswordPage, verifyPage } from './account.pages.tsx';
import { eventFormRoutes } from './event-form.pages.tsx';
import { eventPage, eventsPage } from './events.pages.tsx';
import { feedForms } from './feed.forms.ts';
import { feedPage, homePage, postPage, profilePage } from './feed.pages.tsx';
import { accountDeletedPage } from './lifecycle-settings.tsx';
import { moderationForms } from './moderation.forms.ts';
import { moderationPage } from './moderation.pages.tsx';
import { htmlErrorPage } from './not-found.tsx';
import type { PageDeps } from './page-context.ts';
import { settingsForms } from './settings.forms.ts';
import { settingsPage } from './settings.pages.tsx';
import { walletForms } from './wallet.forms.ts';
import { notificationsPage, walletPage } from './wallet.pages.tsx';

// Unknown paths and app-level failures of a browser's page request (app.ts) render through this too.
export { htmlErrorPage, wantsHtml } from './not-found.tsx';

export function pageRoutes(deps: PageDeps): Hono<AppEnv> {
  const pages = new Hono<AppEnv>();
  pages.use(
    secureHeaders({
      contentSecurityPolicy: {
        defaultSrc: ["'self'"],
        scriptSrc: ["'self'"],
        styleSrc: ["'self'"],
        // Photos may live on a bucket or CDN and uploads go to a presigned URL: those origins, no others.
        imgSrc: ["'self'", 'data:', ...(deps.mediaOrigins?.images ?? [])],
        connectSrc: ["'self'", ...(deps.mediaOrigins?.uploads ?? [])],
        workerSrc: ["'self'"],
        objectSrc: ["'none'"],
        baseUri: ["'self'"],
        formAction: ["'self'"],
        frameAncestors: ["'none'"],
      },
      crossOriginEmbedderPolicy: false,
      // no-referrer (the default) makes Chromium send `Origin: null` with a form's POST, which the API's
      // CSRF rule refuses: same-origin keeps the Origin for our own forms and tells other sites nothing.
      referrerPolicy: 'same-origin',
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
  pages.onError((error, c) => htmlErrorPage(deps, c, error));
  pages.get('/', (c) => feedPage(deps, c));
  pages.get('/posts/:id', (c) => postPage(deps, c));
  pages.get('/u/:username', (c) => profilePage(deps, c));
  pages.get('/home', (c) => homePage(deps, c));
  feedForms(pages, deps);
  eventFormRoutes(pages, deps);
  pages.get('/events', (c) => eventsPage(deps, c));
  pages.get('/events/:id', (c) => eventPage(deps, c));
  walletForms(pages, deps);
  pages.get('/wallet', (c) => walletPage(deps, c));
  pages.get('/notifications', (c) => notificationsPage(deps, c));
  pages.get('/login', (c) => loginPage(deps, c));
  pages.get('/register', (c) => registerPage(deps, c));
  pages.get('/verify', (c) => verifyPage(deps, c));
  pages.get('/reset-password', (c) => resetPasswordPage(deps, c));
  accountForms(pages, deps);
  pages.get('/settings', (c) => settingsPage(deps, c));
  settingsForms(pages, deps);
  pages.get('/account-deleted', (c) => accountDeletedPage(deps, c));
  pages.get('/moderation', (c) => moderationPage(deps, c));
  moderationForms(pages, deps);
  return pages;
}
