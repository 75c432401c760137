// Wallet and notifications: balance, transfers and notifications arrive live on the private topic.

import { formatMoney } from '../components/format.ts';
import { NotificationItem } from '../components/notification-item.tsx';
import { TransferRow } from '../components/transfer-row.tsx';
import type { PageContext } from './context.ts';
import { $, $$, onSubmit, upsert } from './dom.ts';

export async function walletPage(ctx: PageContext): Promise<void> {
  const currency = ctx.main.dataset.currency ?? 'EUR';
  const list = $('#transfers')!;
  const balance = $('#balance')!;
  onSubmit($<HTMLFormElement>('#transfer-form'), async (data) => {
    const transfer = await ctx.client.wallet.send({
      to: String(data.get('to') ?? ''),
      amountCents: Math.round(Number(data.get('amount') ?? 0) * 100),
      memo: String(data.get('memo') ?? '') || undefined,
    });
    upsert(list, TransferRow({ transfer, me: ctx.user, currency }), `transfer-${transfer.id}`);
    $<HTMLFormElement>('#transfer-form')!.reset();
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

export async function notificationsPage(ctx: PageContext): Promise<void> {
  const list = $('#notifications')!;
  $('#read-all')?.addEventListener('click', () => {
    void ctx.client.notifications.readAll().then(() => {
      for (const item of $$('.notification.unread')) item.classList.remove('unread');
      const badge = $('#unread-badge');
      if (badge) {
        badge.dataset.count = '0';
        badge.textContent = '0';
      }
    });
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
