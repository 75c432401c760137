// The ledger's balance rules checked once per statement instead of once per row at commit.
//
// 0006 checked "an entry belongs to a completed transfer" and "a completed transfer is exactly two entries
// that balance" with deferred constraint triggers: one call per entry and one (three queries) per completed
// transfer, all at commit. A settlement batch of 400 transfers paid 1,200 trigger calls there, about as much
// as its largest statement. Now each rule is one query over the statement's transition table.
//
// The rules are unchanged; they hold after every statement rather than only at commit. So a transfer is
// completed and its entries are inserted by ONE statement (settlement does: an UPDATE … RETURNING feeding the
// INSERT, in one WITH): both triggers fire at its end and see both changes. Completing a transfer without its
// entries, or writing entries for a transfer that is not completed by the same or an earlier statement, is
// refused at once. Status is final and entries are append-only (0006), so nothing later can undo a check.
//
// The entries' two foreign keys go: they cost two more trigger calls per entry (a tenth of a batch's time)
// and the check above implies them. An entry's transfer exists (a missing one is not completed), and its
// account is the transfer's sender or recipient, which the transfer's own keys make existing accounts.
// Nothing can take them away later: transfers are never deleted and a completed one never changes (0006's
// guards), and an account stays referenced by the transfer that the entry belongs to.
import { type Kysely, sql } from 'kysely';

export async function up(db: Kysely<unknown>): Promise<void> {
  // The first of `ids` that is not a completed transfer with exactly its two balancing entries
  // (-amount from the sender's account, +amount to the recipient's; accounts are distinct and
  // (transfer, account) unique, so 2 entries of which one debit and one credit are exactly those).
  await sql`
    create function ledger_unbalanced_transfer(ids uuid[]) returns uuid language sql stable as $$
      select x.id from unnest(ids) as x (id)
      left join transfers t on t.id = x.id
      left join lateral (
        select count(*) as entries,
          count(*) filter (where e.account_id = t.from_account_id and e.amount_cents = -t.amount_cents) as debits,
          count(*) filter (where e.account_id = t.to_account_id and e.amount_cents = t.amount_cents) as credits
        from ledger_entries e where e.transfer_id = x.id
      ) c on true
      where t.status is distinct from 'completed' or c.entries <> 2 or c.debits <> 1 or c.credits <> 1
      limit 1
    $$`.execute(db);

  // Entries inserted by the statement: each one's transfer is completed and balanced (a third entry, a
  // one-sided one, an entry of a pending transfer: refused).
  await sql`
    create function ledger_entries_balanced() returns trigger language plpgsql as $$
    declare
      bad uuid;
    begin
      bad := ledger_unbalanced_transfer(array(select distinct transfer_id from new_entries));
      if bad is not null then
        raise exception 'transfer % is not completed with two balancing entries', bad using errcode = '23514';
      end if;
      return null;
    end $$`.execute(db);
  await sql`
    create trigger ledger_entries_balanced after insert on ledger_entries
    referencing new table as new_entries
    for each statement execute function ledger_entries_balanced()`.execute(db);

  // Transfers completed by the statement: each has its two balancing entries (written by the same statement).
  await sql`
    create function transfers_completed_balanced() returns trigger language plpgsql as $$
    declare
      bad uuid;
    begin
      bad := ledger_unbalanced_transfer(array(select id from new_transfers where status = 'completed'));
      if bad is not null then
        raise exception 'completed transfer % does not have two balancing entries', bad using errcode = '23514';
      end if;
      return null;
    end $$`.execute(db);
  await sql`
    create trigger transfers_completed_balanced after update on transfers
    referencing new table as new_transfers
    for each statement execute function transfers_completed_balanced()`.execute(db);

  await sql`drop trigger ledger_entry_of_completed on ledger_entries`.execute(db);
  await sql`drop trigger transfer_entries_balance on transfers`.execute(db);
  await sql`alter table ledger_entries drop constraint ledger_entries_transfer_id_fkey,
    drop constraint ledger_entries_account_id_fkey`.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`drop trigger ledger_entries_balanced on ledger_entries`.execute(db);
  await sql`drop trigger transfers_completed_balanced on transfers`.execute(db);
  await sql`drop function ledger_entries_balanced, transfers_completed_balanced, ledger_unbalanced_transfer`.execute(
    db,
  );
  await sql`alter table ledger_entries
    add constraint ledger_entries_transfer_id_fkey foreign key (transfer_id) references transfers (id),
    add constraint ledger_entries_account_id_fkey foreign key (account_id) references wallet_accounts (id)`.execute(
    db,
  );
  // 0006's functions are still there.
  await sql`
    create constraint trigger ledger_entry_of_completed after insert on ledger_entries
    deferrable initially deferred
    for each row execute function ledger_entry_of_completed()`.execute(db);
  await sql`
    create constraint trigger transfer_entries_balance after update of status on transfers
    deferrable initially deferred
    for each row when (new.status = 'completed')
    execute function transfer_entries_balance()`.execute(db);
}
