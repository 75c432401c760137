// The page shell: navigation, account area, and the data the browser bundle reads to go live.
import { raw } from 'hono/html';
import type { Child } from 'hono/jsx';
import type { Flash } from './flash.ts';

export interface Viewer {
  username: string;
  displayName: string;
  unreadCount: number;
  /** member, moderator or admin: who may delete others' posts and comments. */
  role?: string;
  /**
   * A suspended account may only read its settings, export and delete (auth/suspended.ts): its top bar
   * offers nothing else, since every other page would answer 403.
   */
  suspended?: boolean;
}

export interface LayoutProps {
  title: string;
  /** Which page script runs (data-page). */
  page: string;
  path: string;
  viewer: Viewer | null;
  /** Newest relayed seq read before this page's data: the bundle resumes from it. */
  seq: number;
  assetUrl: (name: 'app.js' | 'plaza.css') => string;
  /** What the last form did (flash.ts), shown once above the page. */
  flash?: Flash | null;
  /** Extra data for the page script, as data-* attributes on <main>. */
  data?: Record<string, string>;
  children?: Child;
}

const links = [
  { href: '/', label: 'Feed' },
  { href: '/home', label: 'Home', auth: true },
  { href: '/events', label: 'Events' },
  { href: '/wallet', label: 'Wallet', auth: true },
];

/**
 * The signed-in half of the top bar. A suspended account gets its name (not a link: the profile would
 * answer 403), Settings and Log out only.
 */
function SignedIn({ viewer, path }: { viewer: Viewer; path: string }) {
  const name = `@${viewer.username}`;
  return (
    <>
      {viewer.suspended ? (
        <span class="me-link" title={name}>
          {name}
        </span>
      ) : (
        <>
          <a href="/notifications" title="Notifications" aria-label="Notifications">
            <span class="wide-only">Notifications</span>
            <span class="narrow-only">Inbox</span>{' '}
            <span class="badge" id="unread-badge" data-count={String(viewer.unreadCount)}>
              {viewer.unreadCount}
            </span>
          </a>
          <a class="me-link" href={`/u/${viewer.username}`} title={name}>
            {name}
          </a>
        </>
      )}
      <a href="/settings" aria-current={path === '/settings' ? 'page' : undefined}>
        Settings
      </a>
      {/* A form, so logging out works before (or without) the script. */}
      <form method="post" action="/logout" id="logout-form">
        <button class="link" type="submit" id="logout">
          Log out
        </button>
      </form>
    </>
  );
}

export function Layout(props: LayoutProps) {
  const dataAttributes = Object.fromEntries(
    Object.entries(props.data ?? {}).map(([k, v]) => [`data-${k}`, v]),
  );
  return (
    <>
      {raw('<!DOCTYPE html>')}
      <html lang="en">
        <head>
          <meta charset="utf-8" />
          <meta name="viewport" content="width=device-width, initial-scale=1" />
          <title>{`${props.title} · Plaza`}</title>
          <link rel="icon" href="data:," />
          <link rel="stylesheet" href={props.assetUrl('plaza.css')} />
          <script type="module" src={props.assetUrl('app.js')} defer />
        </head>
        <body
          data-plaza-seq={String(props.seq)}
          data-page={props.page}
          data-user={props.viewer?.username ?? ''}
        >
          <header class="topbar">
            <a class="brand" href={props.viewer?.suspended ? '/settings' : '/'}>
              Plaza
            </a>
            <nav class="nav">
              {links
                .filter((l) => !props.viewer?.suspended && (!l.auth || props.viewer))
                .map((l) => (
                  <a href={l.href} aria-current={props.path === l.href ? 'page' : undefined}>
                    {l.label}
                  </a>
                ))}
              {props.viewer?.role === 'moderator' || props.viewer?.role === 'admin' ? (
                <a href="/moderation" aria-current={props.path === '/moderation' ? 'page' : undefined}>
                  Moderation
                </a>
              ) : null}
            </nav>
            <div class="account">
              {props.viewer ? (
                <SignedIn viewer={props.viewer} path={props.path} />
              ) : (
                <>
                  <a href="/login">Log in</a>
                  <a class="button" href="/register">
                    Sign up
                  </a>
                </>
              )}
              <span class="status" id="live-status" data-state="offline" title="Live updates" />
            </div>
          </header>
          <main id="main" {...dataAttributes}>
            {props.flash ? (
              <p class={`flash ${props.flash.kind}`} role={props.flash.kind === 'error' ? 'alert' : 'status'}>
                {props.flash.text}
                {props.flash.link ? (
                  <>
                    {' '}
                    <a href={props.flash.link.href}>{props.flash.link.label}</a>
                  </>
                ) : null}
              </p>
            ) : null}
            {props.children}
          </main>
        </body>
      </html>
    </>
  );
}
