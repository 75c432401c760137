// A line of the wallet's history. Only a completed transfer moved money: a pending or failed one is shown
// as such (badge, muted or struck amount, the reason in words), never as money received.
import type { Transfer } from '@plaza/client/protocol';
import { Avatar } from './avatar.tsx';
import { formatMoney } from './format.ts';
import { Time } from './time.tsx';

const reasons: Record<string, string> = {
  insufficient_funds: 'insufficient funds',
};

const kinds: Record<Transfer['kind'], string> = {
  transfer: 'transfer',
  event_ticket: 'event ticket',
  refund: 'refund',
  mint: 'mint',
};

const statusWords: Record<Transfer['status'], string> = {
  pending: 'pending',
  completed: 'completed',
  failed: 'failed',
};

export const reasonInWords = (reason: string) => reasons[reason] ?? reason.replace(/_/g, ' ');

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
  const amount = formatMoney(transfer.amountCents, currency);
  const sign = transfer.status === 'completed' ? (incoming ? '+' : '−') : '';
  const party =
    transfer.kind === 'mint' || !transfer.from ? (
      <>Minted by Plaza</>
    ) : incoming ? (
      <>
        from{' '}
        <a href={`/u/${transfer.from.username}`} class="person">
          <Avatar user={transfer.from} size="small" />@{transfer.from.username}
        </a>
      </>
    ) : (
      <>
        to{' '}
        <a href={`/u/${transfer.to.username}`} class="person">
          <Avatar user={transfer.to} size="small" />@{transfer.to.username}
        </a>
      </>
    );
  return (
    <li
      class={`card transfer status-${transfer.status} ${incoming ? 'incoming' : 'outgoing'}`}
      id={`transfer-${transfer.id}`}
      data-transfer-id={transfer.id}
      data-status={transfer.status}
    >
      <div class="transfer-line">
        <span class={`amount ${transfer.status === 'completed' ? (incoming ? 'in' : 'out') : 'void'}`}>
          {sign}
          {amount}
        </span>
        <span class="party">{party}</span>
        <span class={`pill transfer-status status-${transfer.status}`}>{statusWords[transfer.status]}</span>
      </div>
      <div class="meta">
        <Time iso={transfer.createdAt} relative /> · {kinds[transfer.kind]}
        {transfer.status === 'failed' && transfer.failureReason ? (
          <span class="failure"> · not sent: {reasonInWords(transfer.failureReason)}</span>
        ) : null}
        {transfer.status === 'pending' ? ' · being processed' : ''}
        {transfer.memo ? <span class="memo"> — {transfer.memo}</span> : null}
      </div>
    </li>
  );
}
