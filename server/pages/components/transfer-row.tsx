// A line of the wallet's history.
import type { Transfer } from '@plaza/client/protocol';
import { formatMoney } from './format.ts';
import { Time } from './time.tsx';

export function TransferRow({
  transfer,
  me,
  currency,
}: {
  transfer: Transfer;
  me: string;
  currency: string;
}) {
  const incoming = transfer.to.username === me;
  const other = incoming ? (transfer.from?.username ?? 'Plaza') : transfer.to.username;
  return (
    <li class="card transfer" id={`transfer-${transfer.id}`} data-transfer-id={transfer.id}>
      <div class="meta">
        <Time iso={transfer.createdAt} relative /> · {transfer.kind.replace('_', ' ')} ·{' '}
        <span class="transfer-status">{transfer.status}</span>
        {transfer.failureReason ? ` (${transfer.failureReason.replace('_', ' ')})` : ''}
      </div>
      <div>
        <strong>
          {incoming ? '+' : '−'}
          {formatMoney(transfer.amountCents, currency)}
        </strong>{' '}
        {incoming ? 'from' : 'to'} @{other}
        {transfer.memo ? ` — ${transfer.memo}` : ''}
      </div>
    </li>
  );
}
