// Held money: ticket money stays in the organizer's account but is not spendable until the event ends,
// so a refund before then is always funded (paid back out of what the ticket put on hold).
//
// Holds are a table keyed by (account, reference) rather than a marker column on `events`: the wallet
// settles by `reference` and never reads event rows, so the hold stays a wallet concept (the events
// feature only decides *when* a reference's hold is released); each hold carries its own amount, so the
// per-event figure is checked by the database (>= 0) instead of being re-summed from transfers, and a
// hold's `released_at` is the exactly-once marker (a released hold can never change again).
import { type Kysely, sql } from 'kysely';

export async function up(db: Kysely<unknown>): Promise<void> {
  // Part of the balance that is not spendable. The issuer may go negative and never holds anything,
  // hence greatest(…, 0): for users (balance >= 0) this is plainly held <= balance, so the database
  // refuses any posting that would spend held money, even if the settlement's logic erred.
  await sql`alter table wallet_accounts
    add column held_cents bigint not null default 0,
    add constraint wallet_accounts_held check (held_cents >= 0 and held_cents <= greatest(balance_cents, 0))`.execute(
    db,
  );

  await sql`
    create table wallet_holds (
      account_id uuid not null references wallet_accounts (id),
      -- What the money was paid for, e.g. 'event:<id>' (the transfers' reference).
      reference text not null,
      -- Still held while open; once released, the amount that was released.
      held_cents bigint not null default 0 check (held_cents >= 0),
      created_at timestamptz not null default now(),
      released_at timestamptz,
      -- From transfers_settled_seq, taken under the account's lock: where a release and settlements share
      -- an account, this orders them as they committed (the ledger replay in the tests relies on it).
      released_seq bigint unique,
      primary key (account_id, reference),
      constraint wallet_holds_released check ((released_at is null) = (released_seq is null))
    )`.execute(db);
  // The release job looks only at open holds.
  await sql`create index wallet_holds_open on wallet_holds (reference) where released_at is null`.execute(db);

  // Released is final: a hold cannot be released twice, reopened, or moved to another account.
  await sql`
    create function wallet_holds_guard() returns trigger language plpgsql as $$
    begin
      if old.released_at is not null then
        raise exception 'hold % of account % is already released', old.reference, old.account_id
          using errcode = '23514';
      end if;
      if new.account_id <> old.account_id or new.reference <> old.reference then
        raise exception 'hold % cannot change its account or reference', old.reference using errcode = '23514';
      end if;
      return new;
    end $$`.execute(db);
  await sql`
    create trigger wallet_holds_guard before update on wallet_holds
    for each row execute function wallet_holds_guard()`.execute(db);
  await sql`
    create function wallet_holds_no_delete() returns trigger language plpgsql as $$
    begin
      raise exception 'holds are never deleted' using errcode = '23514';
    end $$`.execute(db);
  await sql`
    create trigger wallet_holds_no_delete before delete on wallet_holds
    for each statement execute function wallet_holds_no_delete()`.execute(db);

  // At commit: an account's held money is exactly the sum of its open holds, whichever side changed.
  await sql`
    create function wallet_check_held(account uuid) returns void language plpgsql as $$
    begin
      if (select held_cents from wallet_accounts where id = account) <>
        (select coalesce(sum(held_cents), 0) from wallet_holds where account_id = account and released_at is null) then
        raise exception 'held money of account % does not match its open holds', account using errcode = '23514';
      end if;
    end $$`.execute(db);
  await sql`
    create function wallet_accounts_held_matches() returns trigger language plpgsql as $$
    begin
      perform wallet_check_held(new.id);
      return null;
    end $$`.execute(db);
  await sql`
    create function wallet_holds_match() returns trigger language plpgsql as $$
    begin
      perform wallet_check_held(new.account_id);
      return null;
    end $$`.execute(db);
  await sql`
    create constraint trigger wallet_accounts_held_matches after update of held_cents on wallet_accounts
    deferrable initially deferred
    for each row when (old.held_cents is distinct from new.held_cents)
    execute function wallet_accounts_held_matches()`.execute(db);
  await sql`
    create constraint trigger wallet_holds_match after insert or update on wallet_holds
    deferrable initially deferred
    for each row execute function wallet_holds_match()`.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`drop table wallet_holds`.execute(db);
  await sql`drop trigger wallet_accounts_held_matches on wallet_accounts`.execute(db);
  await sql`drop function wallet_holds_guard, wallet_holds_no_delete, wallet_accounts_held_matches,
    wallet_holds_match, wallet_check_held`.execute(db);
  await sql`alter table wallet_accounts drop constraint wallet_accounts_held, drop column held_cents`.execute(
    db,
  );
}
