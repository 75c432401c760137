// Wallets: accounts, transfers and a double-entry ledger whose rules the database itself enforces.
import { type Kysely, sql } from 'kysely';

/** The system issuer's account (mints come from it). The greatest uuid: locked last, as a hot row should be. */
const ISSUER_ACCOUNT_ID = 'ffffffff-ffff-ffff-ffff-ffffffffffff';

export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`
    create table wallet_accounts (
      id uuid primary key,
      user_id uuid unique references users (id),
      kind text not null check (kind in ('user', 'issuer')),
      -- Kept equal to the sum of the account's ledger entries by the trigger below, never set directly.
      balance_cents bigint not null default 0,
      created_at timestamptz not null default now(),
      constraint wallet_accounts_owner check ((kind = 'user') = (user_id is not null)),
      -- Only the issuer may go negative: it is where minted money comes from.
      constraint wallet_accounts_user_balance check (kind = 'issuer' or balance_cents >= 0)
    )`.execute(db);
  await sql`create unique index wallet_accounts_one_issuer on wallet_accounts (kind) where kind = 'issuer'`.execute(
    db,
  );
  await sql`insert into wallet_accounts (id, kind) values (${ISSUER_ACCOUNT_ID}, 'issuer')`.execute(db);

  // The order in which transfers were settled (commit order where they share an account).
  await sql`create sequence transfers_settled_seq`.execute(db);

  await sql`
    create table transfers (
      id uuid primary key,
      kind text not null check (kind in ('transfer', 'event_ticket', 'refund', 'mint')),
      from_user_id uuid references users (id),
      to_user_id uuid not null references users (id),
      from_account_id uuid not null references wallet_accounts (id),
      to_account_id uuid not null references wallet_accounts (id),
      amount_cents bigint not null check (amount_cents > 0),
      memo text not null default '' check (char_length(memo) <= 200),
      status text not null default 'pending' check (status in ('pending', 'completed', 'failed')),
      failure_reason text,
      idempotency_key text check (char_length(idempotency_key) between 1 and 100),
      request_hash text,
      -- What another feature sold or refunded with it, e.g. 'event:<id>'.
      reference text,
      settled_seq bigint unique,
      created_at timestamptz not null default now(),
      completed_at timestamptz,
      constraint transfers_distinct_accounts check (from_account_id <> to_account_id),
      constraint transfers_settled check ((status = 'pending') = (completed_at is null)
        and (status = 'pending') = (settled_seq is null)),
      constraint transfers_failure check ((status = 'failed') = (failure_reason is not null)),
      constraint transfers_idempotency check ((idempotency_key is null) = (request_hash is null))
    )`.execute(db);
  await sql`create unique index transfers_idempotency_key on transfers (from_account_id, idempotency_key)
    where idempotency_key is not null`.execute(db);
  await sql`create index transfers_from_user on transfers (from_user_id, id desc)`.execute(db);
  await sql`create index transfers_to_user on transfers (to_user_id, id desc)`.execute(db);
  await sql`create index transfers_pending on transfers (created_at) where status = 'pending'`.execute(db);
  await sql`create index transfers_reference on transfers (reference) where reference is not null`.execute(
    db,
  );

  await sql`
    create table ledger_entries (
      id bigint generated always as identity primary key,
      transfer_id uuid not null references transfers (id),
      account_id uuid not null references wallet_accounts (id),
      amount_cents bigint not null check (amount_cents <> 0),
      created_at timestamptz not null default now(),
      -- One entry per account and transfer: a transfer cannot be posted twice.
      constraint ledger_entries_once unique (transfer_id, account_id)
    )`.execute(db);
  await sql`create index ledger_entries_account on ledger_entries (account_id, id)`.execute(db);

  // Balances follow the entries in the same statement, so balance = sum(entries) by construction;
  // the CHECK on wallet_accounts then refuses any posting that would overdraw a user.
  await sql`
    create function ledger_entries_apply() returns trigger language plpgsql as $$
    begin
      update wallet_accounts a set balance_cents = a.balance_cents + d.delta
      from (select account_id, sum(amount_cents) as delta from new_entries group by account_id) d
      where a.id = d.account_id;
      return null;
    end $$`.execute(db);
  await sql`
    create trigger ledger_entries_apply after insert on ledger_entries
    referencing new table as new_entries
    for each statement execute function ledger_entries_apply()`.execute(db);

  // The ledger is append-only.
  await sql`
    create function ledger_entries_immutable() returns trigger language plpgsql as $$
    begin
      raise exception 'ledger entries are append-only' using errcode = '23514';
    end $$`.execute(db);
  await sql`
    create trigger ledger_entries_immutable before update or delete on ledger_entries
    for each statement execute function ledger_entries_immutable()`.execute(db);

  // At commit: an entry belongs to a completed transfer…
  await sql`
    create function ledger_entry_of_completed() returns trigger language plpgsql as $$
    begin
      if not exists (select 1 from transfers where id = new.transfer_id and status = 'completed') then
        raise exception 'ledger entry for transfer % which is not completed', new.transfer_id
          using errcode = '23514';
      end if;
      return null;
    end $$`.execute(db);
  await sql`
    create constraint trigger ledger_entry_of_completed after insert on ledger_entries
    deferrable initially deferred
    for each row execute function ledger_entry_of_completed()`.execute(db);

  // …and a completed transfer is exactly two entries, -amount from the sender and +amount to the
  // recipient: they sum to zero.
  await sql`
    create function transfer_entries_balance() returns trigger language plpgsql as $$
    begin
      if (select count(*) from ledger_entries where transfer_id = new.id) <> 2
        or not exists (select 1 from ledger_entries where transfer_id = new.id
          and account_id = new.from_account_id and amount_cents = -new.amount_cents)
        or not exists (select 1 from ledger_entries where transfer_id = new.id
          and account_id = new.to_account_id and amount_cents = new.amount_cents) then
        raise exception 'completed transfer % does not have two balancing entries', new.id
          using errcode = '23514';
      end if;
      return null;
    end $$`.execute(db);
  await sql`
    create constraint trigger transfer_entries_balance after update of status on transfers
    deferrable initially deferred
    for each row when (new.status = 'completed')
    execute function transfer_entries_balance()`.execute(db);

  // Settled is final, and what was asked for never changes: no transfer is completed twice.
  await sql`
    create function transfers_guard() returns trigger language plpgsql as $$
    begin
      if old.status <> 'pending' then
        raise exception 'transfer % is already %', old.id, old.status using errcode = '23514';
      end if;
      if new.kind <> old.kind or new.amount_cents <> old.amount_cents
        or new.from_account_id <> old.from_account_id or new.to_account_id <> old.to_account_id then
        raise exception 'transfer % cannot change its parties or amount', old.id using errcode = '23514';
      end if;
      return new;
    end $$`.execute(db);
  await sql`
    create trigger transfers_guard before update on transfers
    for each row execute function transfers_guard()`.execute(db);
  await sql`
    create trigger transfers_no_delete before delete on transfers
    for each statement execute function ledger_entries_immutable()`.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`drop table ledger_entries`.execute(db);
  await sql`drop table transfers`.execute(db);
  await sql`drop table wallet_accounts`.execute(db);
  await sql`drop sequence transfers_settled_seq`.execute(db);
  await sql`drop function ledger_entries_apply, ledger_entries_immutable, ledger_entry_of_completed,
    transfer_entries_balance, transfers_guard`.execute(db);
}
