// The error pages, in the layout: a person who follows a dead link, lacks the rights, or meets an outage
// gets a page saying what happened and where to go, not the API's JSON.
import type { Context } from 'hono';
import type { AppEnv } from '../http/env.ts';
import { toAppError } from '../lib/errors.ts';
import { takeFlash } from './flash.ts';
import { Layout, type Viewer } from './layout.tsx';
import { loadViewer, type PageDeps } from './page-context.ts';

type Known = 403 | 404 | 500 | 503;

const texts: Record<Known, { title: string; text: string }> = {
  403: {
    title: 'Not allowed',
    text: 'This page is not open to your account. If you think it should be, sign in with the account that has access.',
  },
  404: {
    title: 'Page not found',
    text: 'Nothing lives at this address. The link may be mistyped, or what it pointed to was removed.',
  },
  500: { title: 'Something went wrong', text: 'We could not show this page. Please try again.' },
  503: {
    title: 'Temporarily unavailable',
    text: 'Plaza cannot reach its database right now. Please try again in a moment.',
  },
};

export function ErrorPage(
  deps: PageDeps,
  c: Context<AppEnv>,
  viewer: Viewer | null,
  status: number,
  message?: string,
  /** A suspended account's refusal (auth/suspended.ts): it is pointed at what it may still do. */
  suspended = false,
) {
  const { title, text } = suspended
    ? {
        title: 'Your account is suspended',
        text: 'A moderator suspended this account: you cannot post, comment, send money, follow people or join events. You can still export your data or delete your account.',
      }
    : (texts[status as Known] ?? texts[500]);
  return c.html(
    <Layout
      flash={takeFlash(c)}
      title={title}
      page="none"
      path={c.req.path}
      viewer={viewer}
      seq={0}
      assetUrl={deps.assetUrl}
    >
      <section class="card error-page">
        <p class="meta">Error {status}</p>
        <h1>{title}</h1>
        <p>{message ?? text}</p>
        <p>Where to go from here:</p>
        {suspended ? (
          <ul class="error-links">
            <li>
              <a href="/settings#export">Export your data</a>
            </li>
            <li>
              <a href="/settings#delete-account">Delete your account</a>
            </li>
          </ul>
        ) : (
          <ul class="error-links">
            <li>
              <a href="/">The feed</a>: everyone's latest posts
            </li>
            <li>
              <a href="/events">Events</a>: what is coming up
            </li>
            {viewer ? (
              <li>
                <a href={`/u/${viewer.username}`}>Your profile</a>
              </li>
            ) : (
              <li>
                <a href={`/login?next=${encodeURIComponent(c.req.path)}`}>Log in</a>
              </li>
            )}
          </ul>
        )}
      </section>
    </Layout>,
    status as Known,
  );
}

export function NotFoundPage(deps: PageDeps, c: Context<AppEnv>, viewer: Viewer | null, message?: string) {
  return ErrorPage(deps, c, viewer, 404, message);
}

/** A browser asking for a page outside the API: it gets HTML; API clients and /api/ keep the JSON. */
export const wantsHtml = (c: Context<AppEnv>) =>
  !c.req.path.startsWith('/api/') && (c.req.header('accept') ?? '').includes('text/html');

/** The HTML page for an error (or an unknown route) of a browser's request. */
export async function htmlErrorPage(deps: PageDeps, c: Context<AppEnv>, error: unknown) {
  const appError = toAppError(error);
  if (appError.code === 'internal') deps.logger?.error({ err: error, path: c.req.path }, 'page failed');
  // A dead link keeps the top bar of whoever is signed in; after a failure, reading more could fail too.
  const suspended = appError.details?.suspended === true;
  const viewer = appError.status === 404 || suspended ? await loadViewer(deps, c).catch(() => null) : null;
  return ErrorPage(deps, c, viewer, appError.status, undefined, suspended);
}
