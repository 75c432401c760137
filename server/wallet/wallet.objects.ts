// Wallet rows → wire objects, and money as people read it.
import type { Transfer } from '@plaza/client/protocol';
import { avatarUrlOf, type MediaUrls } from '../media/media.objects.ts';
import type { TransferView } from './wallet.repository.ts';

export function transferViewToTransfer(row: TransferView, urls: MediaUrls): Transfer {
  return {
    id: row.id,
    kind: row.kind,
    from:
      row.from_user_id && row.from_username !== null
        ? {
            id: row.from_user_id,
            username: row.from_username,
            displayName: row.from_display_name ?? '',
            avatarUrl: avatarUrlOf(row.from_avatar_key, urls),
          }
        : null,
    to: {
      id: row.to_user_id,
      username: row.to_username,
      displayName: row.to_display_name,
      avatarUrl: avatarUrlOf(row.to_avatar_key, urls),
    },
    amountCents: row.amount_cents,
    memo: row.memo,
    status: row.status,
    failureReason: row.failure_reason,
    createdAt: row.created_at.toISOString(),
    completedAt: row.completed_at ? row.completed_at.toISOString() : null,
  };
}

/** One formatter per currency: building an Intl.NumberFormat costs more than formatting with it. */
const formatters = new Map<string, Intl.NumberFormat>();

export function formatMoney(cents: number, currency: string): string {
  let format = formatters.get(currency);
  if (!format) {
    format = new Intl.NumberFormat('en', { style: 'currency', currency });
    formatters.set(currency, format);
  }
  return format.format(cents / 100);
}
