// Wallet and notifications: balance, transfers and notifications arrive live on the private topic; the
// forms the server rendered are done through the SDK instead.
import { toCents } from '../components/event-fields.ts';
import { formatMoney } from '../components/format.ts';
import { NotificationItem } from '../components/notification-item.tsx';
import { TransferRow } from '../components/transfer-row.tsx';
import { safeNext } from '../safe-next.ts';
import type { PageContext } from './context.ts';
import { $, $$, onSubmit, upsert } from './dom.ts';

export async function walletPage(ctx: PageContext): Promise<void> {
  const currency = ctx.main.dataset.currency ?? 'EUR';
  const list = $('#transfers')!;
  const balance = $('#balance')!;
  const form = $<HTMLFormElement>('#transfer-form');
  const key = $<HTMLInputElement>('input[name="idempotencyKey"]', form ?? document);
  onSubmit(form, async (data) => {
    // The key rendered with the form: a retry after a lost answer is the same transfer.
    const transfer = await ctx.client.wallet.send(
      {
        to: String(data.get('to') ?? ''),
        amountCents: toCents(String(data.get('amount') ?? ''), currency),
        memo: String(data.get('memo') ?? '') || undefined,
      },
      key?.value || crypto.randomUUID(),
    );
    upsert(list, TransferRow({ transfer, me: ctx.user, currency }), `transfer-${transfer.id}`);
    form!.reset();
    // The next transfer is another one.
    if (key) key.value = crypto.randomUUID();
  });
  await ctx.client.subscribe(
    'me',
    {
      'wallet:updated': ({ balanceCents }) => {
        balance.dataset.cents = String(balanceCents);
        balance.textContent = formatMoney(balanceCents, currency);
      },
      'transfer:updated': ({ transfer }) =>
        upsert(list, TransferRow({ transfer, me: ctx.user, currency }), `transfer-${transfer.id}`),
    },
    { since: ctx.seq },
  );
}

function setBadge(count: number): void {
  const badge = $('#unread-badge');
  if (!badge) return;
  badge.dataset.count = String(count);
  badge.textContent = String(count);
}

function showRead(item: Element): void {
  if (!item.classList.contains('unread')) return;
  item.classList.remove('unread');
  const form = item.querySelector('.notification-read');
  form?.replaceWith(Object.assign(document.createElement('span'), { textContent: ' · read' }));
  setBadge(Math.max(0, Number($('#unread-badge')?.dataset.count ?? 1) - 1));
}

export async function notificationsPage(ctx: PageContext): Promise<void> {
  const list = $('#notifications')!;
  // Delegated: live-inserted notifications have the same forms.
  list.addEventListener('submit', (event) => {
    const form = event.target as HTMLFormElement;
    const item = form.closest<HTMLElement>('.notification');
    const id = item?.dataset.notificationId;
    if (!item || !id) return;
    event.preventDefault();
    const read = ctx.client.notifications.read(id).then(() => showRead(item));
    if (form.classList.contains('notification-open')) {
      const url = safeNext(new FormData(form).get('url')?.toString(), location.origin);
      // Go even if marking read failed: the person wanted to see it.
      void read.catch(() => undefined).finally(() => location.assign(url));
    } else void read.catch(() => undefined);
  });
  onSubmit($<HTMLFormElement>('#read-all-form'), async () => {
    await ctx.client.notifications.readAll();
    for (const item of $$('.notification.unread')) showRead(item);
    setBadge(0);
  });
  await ctx.client.subscribe(
    'me',
    {
      'notification:created': ({ notification }) => {
        upsert(list, NotificationItem({ notification }), `notification-${notification.id}`);
        $('.empty')?.remove();
      },
    },
    { since: ctx.seq },
  );
}
