// Wallet and notifications pages (signed-in only).
import type { Notification, Page, Transfer, Wallet } from '@plaza/client/protocol';
import type { Context } from 'hono';
import type { AppEnv } from '../http/env.ts';
import { MAX_MEMO_LENGTH } from '../wallet/wallet.schema.ts';
import { formatMoney } from './components/format.ts';
import { NotificationItem } from './components/notification-item.tsx';
import { TransferRow } from './components/transfer-row.tsx';
import { takeFlash } from './flash.ts';
import { Layout } from './layout.tsx';
import { loadViewer, type PageDeps, snapshotSeq } from './page-context.ts';

export async function walletPage(deps: PageDeps, c: Context<AppEnv>) {
  if (!c.var.actor) return c.redirect('/login?next=/wallet');
  const [viewer, wallet, transfers] = await Promise.all([
    loadViewer(deps, c),
    deps.callApi<Wallet>(c, '/wallet'),
    deps.callApi<Page<Transfer>>(c, '/wallet/transfers?limit=50'),
  ]);
  const currency = wallet.status === 200 ? wallet.data.currency : deps.currency;
  const items = transfers.status === 200 ? transfers.data.items : [];
  const heldCents = wallet.status === 200 ? wallet.data.heldCents : 0;
  return c.html(
    <Layout
      flash={takeFlash(c)}
      title="Wallet"
      page="wallet"
      path="/wallet"
      viewer={viewer}
      seq={snapshotSeq(wallet, transfers)}
      assetUrl={deps.assetUrl}
      data={{ currency }}
    >
      <h1>Wallet</h1>
      <section class="card">
        <div class="meta">Balance</div>
        <div
          class="balance"
          id="balance"
          data-cents={String(wallet.status === 200 ? wallet.data.balanceCents : 0)}
        >
          {formatMoney(wallet.status === 200 ? wallet.data.balanceCents : 0, currency)}
        </div>
        {heldCents > 0 ? (
          // Ticket money of the user's events not yet ended: kept so that refunds are always paid.
          <div class="meta" id="held" data-cents={String(heldCents)}>
            of which {formatMoney(heldCents, currency)} held for upcoming events
          </div>
        ) : null}
      </section>
      <form id="transfer-form" class="card stack" method="post" action="/wallet/transfer">
        <h2>Send money</h2>
        <input type="hidden" name="back" value="/wallet" />
        {/* Drawn per rendering: posting this same form twice is one transfer, not two. */}
        <input type="hidden" name="idempotencyKey" value={crypto.randomUUID()} />
        <label>
          To (username)
          <input name="to" required pattern="[A-Za-z0-9_]{3,30}" />
        </label>
        <label>
          Amount ({currency})
          <input name="amount" inputmode="decimal" pattern="[0-9]+([.,][0-9]{1,2})?" required />
        </label>
        <label>
          Memo
          <input name="memo" data-max={String(MAX_MEMO_LENGTH)} data-noun="Memo" />
          <small class="counter">up to {MAX_MEMO_LENGTH} characters</small>
        </label>
        <div class="error" role="alert" />
        <div>
          <button type="submit">Send</button>
        </div>
      </form>
      <h2>History</h2>
      <ul id="transfers" class="list">
        {items.map((transfer) => (
          <TransferRow transfer={transfer} me={c.var.actor!.username} currency={currency} />
        ))}
      </ul>
    </Layout>,
  );
}

export async function notificationsPage(deps: PageDeps, c: Context<AppEnv>) {
  if (!c.var.actor) return c.redirect('/login?next=/notifications');
  const [viewer, list] = await Promise.all([
    loadViewer(deps, c),
    deps.callApi<Page<Notification> & { unreadCount: number }>(c, '/notifications?limit=50'),
  ]);
  const items = list.status === 200 ? list.data.items : [];
  return c.html(
    <Layout
      flash={takeFlash(c)}
      title="Notifications"
      page="notifications"
      path="/notifications"
      viewer={viewer}
      seq={snapshotSeq(list)}
      assetUrl={deps.assetUrl}
    >
      <h1>Notifications</h1>
      <form method="post" action="/notifications/read-all" id="read-all-form">
        <input type="hidden" name="back" value="/notifications" />
        <button type="submit" class="secondary" id="read-all">
          Mark all as read
        </button>
      </form>
      <ul id="notifications" class="list">
        {items.map((notification) => (
          <NotificationItem notification={notification} />
        ))}
      </ul>
      {items.length === 0 ? <p class="empty">Nothing yet.</p> : null}
    </Layout>,
  );
}
