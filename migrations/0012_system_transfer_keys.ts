// The server's own transfers (tickets, refunds) leave the namespace of users' Idempotency-Keys.
//
// Refunds used to be recognised by the organizer account's key `refund:<ticket id>`, unique per sender
// together with the keys users send with POST /transfers: an organizer who sent a transfer with that key
// made the ticket's refund skip or fail (and a settlement asking for it throw). A refund is now found by
// what it is: `refund_of`, the ticket it pays back, unique. Tickets and refunds carry no idempotency key at
// all (a CHECK keeps it so), so no key a user can write ever meets one of the server's transfers.
import { type Kysely, sql } from 'kysely';

export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`alter table transfers add column refund_of uuid references transfers (id)`.execute(db);

  // Settled transfers are frozen by transfers_guard; this one-off rewrite of existing rows is the exception.
  await sql`alter table transfers disable trigger transfers_guard`.execute(db);
  // Only rows of kind 'refund' were made by the server, so only their keys are trusted here.
  await sql`update transfers set refund_of = substr(idempotency_key, 8)::uuid
    where kind = 'refund' and idempotency_key ~ '^refund:[0-9a-f-]{36}$'`.execute(db);
  await sql`update transfers set idempotency_key = null, request_hash = null
    where kind in ('event_ticket', 'refund')`.execute(db);
  await sql`alter table transfers enable trigger transfers_guard`.execute(db);

  await sql`alter table transfers
    add constraint transfers_refund_of check ((kind = 'refund') = (refund_of is not null)),
    add constraint transfers_user_keys check (kind in ('transfer', 'mint') or idempotency_key is null)`.execute(
    db,
  );
  // At most one refund per ticket, whoever asks and however often.
  await sql`create unique index transfers_refund_once on transfers (refund_of) where refund_of is not null`.execute(
    db,
  );
  // What a joiner has already promised to pay (their pending transfers), read before a paid join.
  await sql`create index transfers_pending_from on transfers (from_account_id) include (amount_cents)
    where status = 'pending'`.execute(db);

  // The guard of 0006, also keeping what a refund pays back from changing.
  await sql`
    create or replace function transfers_guard() returns trigger language plpgsql as $$
    begin
      if old.status <> 'pending' then
        raise exception 'transfer % is already %', old.id, old.status using errcode = '23514';
      end if;
      if new.kind <> old.kind or new.amount_cents <> old.amount_cents
        or new.from_account_id <> old.from_account_id or new.to_account_id <> old.to_account_id
        or new.refund_of is distinct from old.refund_of then
        raise exception 'transfer % cannot change its parties or amount', old.id using errcode = '23514';
      end if;
      return new;
    end $$`.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`
    create or replace function transfers_guard() returns trigger language plpgsql as $$
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
  await sql`drop index transfers_pending_from`.execute(db);
  await sql`alter table transfers drop constraint transfers_user_keys, drop constraint transfers_refund_of,
    drop column refund_of`.execute(db);
}
