// Entry of the page bundle: read what the server rendered, then keep the page live through the SDK.
import { createClient, type LiveStatus } from '@plaza/client';
import type { PageContext } from './context.ts';
import { $, SIGNED_OUT_EVENT } from './dom.ts';
import { eventFormPage, eventPage, eventsPage } from './events.ts';
import { feedPage, postPage, profilePage } from './feed.ts';
import { wireCounters } from './limits.ts';
import { keepTimesLocal } from './localize.ts';
import { keepPlaceholders } from './media-placeholders.ts';
import { moderationPage } from './moderation.ts';
import { notificationsPage, walletPage } from './wallet.ts';

const statusLabel: Record<LiveStatus, string> = {
  connecting: '○ connecting',
  connected: '● live',
  reconnecting: '○ reconnecting',
  resumed: '● live',
  gap: '● reloading',
  disconnected: '○ offline',
};

/** Pages whose script needs the live connection. */
const livePages: Record<string, (ctx: PageContext) => Promise<void>> = {
  feed: feedPage,
  post: postPage,
  profile: profilePage,
  events: eventsPage,
  event: eventPage,
  'event-form': eventFormPage,
  wallet: walletPage,
  notifications: notificationsPage,
  moderation: moderationPage,
};

const accountPages = ['login', 'register', 'verify', 'reset-password'];

async function start(): Promise<void> {
  const body = document.body;
  keepTimesLocal();
  keepPlaceholders();
  wireCounters();
  const client = createClient({
    url: location.origin,
    // A page that missed too much reloads: its first paint is the fresh snapshot.
    live: { onGap: () => location.reload() },
  });
  const ctx: PageContext = {
    client,
    seq: Number(body.dataset.plazaSeq ?? 0),
    user: body.dataset.user ?? '',
    main: $('#main')!,
  };

  // The form posts to /logout without the script; with it, the SDK signs out and the page goes home.
  $<HTMLFormElement>('#logout-form')?.addEventListener('submit', (event) => {
    event.preventDefault();
    void client.auth.logout().finally(() => {
      location.href = '/';
    });
  });
  watchSignedOut(ctx);

  const page = body.dataset.page ?? '';
  if (accountPages.includes(page)) {
    const account = await import('./account.ts');
    const init = {
      login: account.loginPage,
      register: account.registerPage,
      verify: account.verifyPage,
      'reset-password': account.resetPasswordPage,
    }[page];
    init?.(ctx);
    return;
  }

  const live =
    livePages[page] ?? (page === 'settings' ? (await import('./settings.ts')).settingsPage : undefined);
  if (!live) return;
  const status = $('#live-status');
  client.live.onStatus((state) => {
    if (!status) return;
    status.dataset.state = state;
    status.textContent = statusLabel[state];
  });
  if (ctx.user) {
    const badge = $('#unread-badge');
    await client.subscribe(
      'me',
      {
        'notification:created': ({ unreadCount }) => {
          if (!badge) return;
          badge.dataset.count = String(unreadCount);
          badge.textContent = String(unreadCount);
        },
        'session:revoked': () => void checkSignedIn(ctx),
      },
      { since: ctx.seq },
    );
  }
  await live(ctx);
  body.dataset.live = 'ready';
}

/** Asks the API whether this page's session still stands; when not, says so in the top bar. */
async function checkSignedIn(ctx: PageContext): Promise<void> {
  if (!ctx.user) return;
  const res = await fetch('/api/v1/me', { credentials: 'same-origin' }).catch(() => null);
  if (res?.status === 401) document.dispatchEvent(new CustomEvent(SIGNED_OUT_EVENT));
}

/**
 * Signed out elsewhere (another tab, a password reset, a revoked session): the page must not keep looking
 * signed in. An API call answering `unauthenticated` (dom.ts) or the live connection being dropped by the
 * server leads to a banner with a way back in.
 */
function watchSignedOut(ctx: PageContext): void {
  if (!ctx.user) return;
  document.addEventListener(SIGNED_OUT_EVENT, () => {
    if ($('#signed-out')) return;
    document.body.dataset.user = '';
    const banner = document.createElement('p');
    banner.id = 'signed-out';
    banner.className = 'signed-out';
    banner.setAttribute('role', 'alert');
    banner.append('You are signed out (perhaps in another tab). ');
    const link = document.createElement('a');
    link.href = `/login?next=${encodeURIComponent(location.pathname + location.search)}`;
    link.textContent = 'Sign in again';
    banner.append(link);
    for (const el of document.querySelectorAll('.account > :not(.status)')) (el as HTMLElement).hidden = true;
    $('.topbar')?.append(banner);
  });
  // The server drops the sockets of a revoked session: a drop while signed in is worth one question.
  ctx.client.live.onStatus((state) => {
    if (state === 'disconnected' || state === 'reconnecting') void checkSignedIn(ctx);
  });
}

void start();
