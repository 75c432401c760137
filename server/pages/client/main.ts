// Entry of the page bundle: read what the server rendered, then keep the page live through the SDK.
import { createClient, type LiveStatus } from '@plaza/client';
import type { PageContext } from './context.ts';
import { $ } from './dom.ts';
import { eventPage, eventsPage } from './events.ts';
import { feedPage, postPage, profilePage } from './feed.ts';
import { keepTimesLocal } from './localize.ts';
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
  wallet: walletPage,
  notifications: notificationsPage,
};

const accountPages = ['login', 'register', 'verify', 'reset-password'];

async function start(): Promise<void> {
  const body = document.body;
  keepTimesLocal();
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

  $('#logout')?.addEventListener('click', () => {
    void client.auth.logout().finally(() => {
      location.href = '/';
    });
  });

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

  const live = livePages[page];
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
      },
      { since: ctx.seq },
    );
  }
  await live(ctx);
  body.dataset.live = 'ready';
}

void start();
