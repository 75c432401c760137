// Deleting an account (API.md "Profiles and account self-service"). The request does what must be at once,
// in one transaction under the user's row lock: the refusals (409), the husk (`deleted-<n>`, no address,
// no password), the reserved username, the revoked sessions (their sockets close on every instance) and
// `deleted_at`, from which the database refuses anything new in the account's name (migration 0021).
// The `account` worker then removes the content in ordered batches (purgeAccount): an account with 100k
// rows must not hold a request, nor one long transaction's locks.
import { sql } from 'kysely';
import type { Actor } from '../auth/actor.ts';
import type { AuthContext, ClientInfo } from '../auth/auth.context.ts';
import { revokeSessions } from '../auth/sessions.ts';
import { lockCommentWithPost } from '../comments/comments.repository.ts';
import { removeLockedComment } from '../comments/comments.service.ts';
import type { Config } from '../config.ts';
import type { Db, Trx } from '../db/database.ts';
import type { UserRow } from '../db/schema.ts';
import type { Deps } from '../deps.ts';
import { forgetSessions } from '../deps.ts';
import { promoteToCapacity, pushParticipation } from '../events/events.participation.ts';
import { scheduleReminders } from '../events/events.reminders.ts';
import { deleteParticipant, lockEvent, updateEvent } from '../events/events.repository.ts';
import type { Queues } from '../jobs/queues.ts';
import { AppError, unauthenticated } from '../lib/errors.ts';
import type { Logger } from '../lib/logger.ts';
import { deleteLike } from '../likes/likes.repository.ts';
import { queueMediaCollect } from '../media/media.cleanup.ts';
import type { MediaUrls } from '../media/media.objects.ts';
import type { MediaStore } from '../media/media.store.ts';
import { appendPostStats } from '../posts/posts.events.ts';
import { bumpCounts, holdPost, lockPost } from '../posts/posts.repository.ts';
import { removeLockedPost } from '../posts/posts.service.ts';
import { confirmPassword } from './password-confirm.ts';
import { recordSecurityEvent } from './security-log.ts';

export type DeletionRefusal = 'wallet' | 'pending_transfers' | 'events' | 'tickets';

const REFUSALS: Record<DeletionRefusal, string> = {
  wallet: 'Your wallet still holds money (or money held for you): send or spend it first',
  pending_transfers: 'Some of your transfers are still pending: wait until they settle',
  events: 'You organise upcoming events that people joined: cancel them first',
  tickets: 'You hold tickets to upcoming events: leave them first (the refund goes to your wallet)',
};

export const HUSK_DISPLAY_NAME = 'Deleted user';

/** Why the account cannot go now, or null. Run under the user's row lock. */
async function refusalOf(trx: Trx, userId: string): Promise<DeletionRefusal | null> {
  const wallet = await trx
    .selectFrom('wallet_accounts')
    .select(['balance_cents', 'held_cents'])
    .where('user_id', '=', userId)
    .executeTakeFirst();
  if (wallet && (Number(wallet.balance_cents) !== 0 || Number(wallet.held_cents) !== 0)) return 'wallet';
  const pending = await trx
    .selectFrom('transfers')
    .select('id')
    .where('status', '=', 'pending')
    .where((eb) => eb.or([eb('from_user_id', '=', userId), eb('to_user_id', '=', userId)]))
    .limit(1)
    .executeTakeFirst();
  if (pending) return 'pending_transfers';
  const now = new Date();
  const organised = await trx
    .selectFrom('events as e')
    .select('e.id')
    .where('e.organizer_id', '=', userId)
    .where('e.status', '!=', 'cancelled')
    .where('e.ends_at', '>', now)
    .where((eb) =>
      eb.exists(
        eb
          .selectFrom('event_participants as p')
          .select('p.user_id')
          .whereRef('p.event_id', '=', 'e.id')
          .where('p.user_id', '!=', userId),
      ),
    )
    .limit(1)
    .executeTakeFirst();
  if (organised) return 'events';
  const ticket = await trx
    .selectFrom('event_participants as p')
    .innerJoin('events as e', 'e.id', 'p.event_id')
    .select('p.event_id')
    .where('p.user_id', '=', userId)
    .where('p.ticket_transfer_id', 'is not', null)
    .where('e.status', '=', 'published')
    .where('e.starts_at', '>', now)
    .limit(1)
    .executeTakeFirst();
  return ticket ? 'tickets' : null;
}

/**
 * 202 once the husk is in place and the sessions are gone; 403 on a wrong password, 409 with
 * `details.reason` while money, pending transfers, upcoming events with participants or tickets remain.
 */
export async function requestDeletion(
  ctx: AuthContext,
  actor: Actor,
  password: string,
  client: ClientInfo,
): Promise<void> {
  const user = await ctx.db.selectFrom('users').selectAll().where('id', '=', actor.userId).executeTakeFirst();
  if (!user || user.deleted_at) throw unauthenticated();
  await confirmPassword(ctx, user as UserRow, password);
  await ctx.db.transaction().execute(async (trx) => {
    // `for update`: every insert in the account's name waits here (its guard takes `for key share`).
    const locked = await trx
      .selectFrom('users')
      .select(['id', 'username', 'deleted_at'])
      .where('id', '=', actor.userId)
      .forUpdate()
      .executeTakeFirst();
    if (!locked || locked.deleted_at) throw unauthenticated();
    const refusal = await refusalOf(trx, actor.userId);
    if (refusal) throw new AppError('conflict', REFUSALS[refusal], { reason: refusal });
    await recordSecurityEvent(trx, { userId: actor.userId, type: 'deletion_requested', ...client });
    const { n } = await trx
      .selectNoFrom((eb) => eb.fn<string>('nextval', [eb.val('deleted_users_seq')]).as('n'))
      .executeTakeFirstOrThrow();
    const husk = `deleted-${n}`;
    await trx
      .updateTable('users')
      .set({
        username: husk,
        // `.invalid` is reserved (RFC 2606): never deliverable, and unique like the husk's name.
        email: `${husk}@deleted.invalid`,
        display_name: HUSK_DISPLAY_NAME,
        bio: '',
        password_hash: null,
        avatar_media_id: null,
        avatar_key: null,
        deleted_at: new Date(),
      })
      .where('id', '=', actor.userId)
      .execute();
    await trx
      .insertInto('reserved_usernames')
      .values({ username: locked.username.toLowerCase() })
      .onConflict((oc) => oc.doNothing())
      .execute();
    await revokeSessions(trx, { userId: actor.userId });
    await trx.deleteFrom('one_time_codes').where('user_id', '=', actor.userId).execute();
  });
  await forgetSessions(ctx, { userIds: [actor.userId] });
  // Not fatal for the answer: the worker's sweep (maintenance `expire-exports`) re-queues unfinished purges.
  await queueAccountPurge(ctx.queues, actor.userId).catch((error: unknown) =>
    ctx.logger.warn({ err: error, userId: actor.userId }, 'could not queue the account purge'),
  );
}

export const queueAccountPurge = (queues: Pick<Queues, 'add'>, userId: string) =>
  queues.add('account', { task: 'delete', userId }, { jobId: `delete_${userId}` });

export interface PurgeDeps {
  db: Db;
  queues: Queues;
  logger: Logger;
  config: Config;
  store: Pick<MediaStore, 'delete'> & MediaUrls;
}

const BATCH = 200;

/** Runs `step` in its own transactions until it reports nothing left. */
async function inBatches(db: Db, step: (trx: Trx) => Promise<number>): Promise<number> {
  let total = 0;
  for (;;) {
    const done = await db.transaction().execute(step);
    total += done;
    if (done < BATCH) return total;
  }
}

/**
 * Removes everything of a deleted account but the husk, its wallet account and transfers, in order:
 * likes (counters), comments (log events redacted), posts (their media and comments with them),
 * follows, participations (waitlists promoted), events organised nobody joined, notifications, media,
 * blocks and mutes, security log, exports. Each batch is a transaction of its own; a rerun resumes.
 */
export async function purgeAccount(deps: PurgeDeps, userId: string): Promise<void> {
  const user = await deps.db
    .selectFrom('users')
    .select('deleted_at')
    .where('id', '=', userId)
    .executeTakeFirst();
  if (!user?.deleted_at) return;
  const counts: Record<string, number> = {};

  counts.likes = await inBatches(deps.db, async (trx) => {
    const likes = await trx
      .selectFrom('likes')
      .select('post_id')
      .where('user_id', '=', userId)
      .limit(BATCH)
      .execute();
    for (const { post_id } of likes) {
      const post = await holdPost(trx, post_id);
      if (!post || !(await deleteLike(trx, post_id, userId))) continue;
      await appendPostStats(trx, post.author_id, post.id, await bumpCounts(trx, post.id, { likes: -1 }));
    }
    return likes.length;
  });

  counts.comments = await inBatches(deps.db, async (trx) => {
    const comments = await trx
      .selectFrom('comments')
      .select('id')
      .where('author_id', '=', userId)
      .limit(BATCH)
      .execute();
    for (const { id } of comments) {
      const found = await lockCommentWithPost(trx, id);
      if (found) await removeLockedComment(trx, found);
    }
    return comments.length;
  });

  let hadMedia = false;
  counts.posts = await inBatches(deps.db, async (trx) => {
    const posts = await trx
      .selectFrom('posts')
      .select('id')
      .where('author_id', '=', userId)
      .limit(BATCH)
      .execute();
    for (const { id } of posts) {
      const locked = await lockPost(trx, id);
      if (!locked) continue;
      hadMedia ||= locked.has_media;
      await removeLockedPost(trx, locked);
    }
    return posts.length;
  });

  counts.follows = await inBatches(deps.db, async (trx) => {
    const { rows } = await sql<{ follower_id: string }>`
      delete from follows where (follower_id, followee_id) in (
        select follower_id, followee_id from follows
        where follower_id = ${userId} or followee_id = ${userId} limit ${BATCH})
      returning follower_id`.execute(trx);
    return rows.length;
  });

  // One event per transaction: each locks its event row, as every join and leave does.
  const participations = await deps.db
    .selectFrom('event_participants')
    .select('event_id')
    .where('user_id', '=', userId)
    .execute();
  for (const { event_id } of participations) {
    const outcome = await deps.db.transaction().execute(async (trx) => {
      const event = await lockEvent(trx, event_id);
      if (!event) return null;
      const existing = await trx
        .selectFrom('event_participants')
        .select('status')
        .where('event_id', '=', event_id)
        .where('user_id', '=', userId)
        .executeTakeFirst();
      if (!existing) return null;
      await deleteParticipant(trx, event.id, userId);
      const after = {
        ...event,
        going_count: event.going_count - (existing.status === 'going' ? 1 : 0),
        waitlist_count: event.waitlist_count - (existing.status === 'waitlisted' ? 1 : 0),
      };
      await updateEvent(trx, event.id, {
        going_count: after.going_count,
        waitlist_count: after.waitlist_count,
      });
      await pushParticipation(trx, event.id, undefined, null, after, deps.store);
      const promotion = await promoteToCapacity(trx, after, deps.store);
      return { event: after, promotion };
    });
    if (outcome) {
      await scheduleReminders(deps, outcome.event, outcome.promotion.going);
      for (const ticket of outcome.promotion.tickets)
        await deps.queues
          .add('transfers', { task: 'settle', transferId: ticket }, { jobId: ticket })
          .catch(() => {});
    }
  }
  counts.participations = participations.length;
  await deps.db.deleteFrom('event_reminders').where('user_id', '=', userId).execute();

  // Events nobody joined go (their cover with the media below); those with participants stay, past ones
  // only (the 409 kept upcoming ones out), since tickets and refunds refer to them.
  const events = await deps.db
    .deleteFrom('events as e')
    .where('e.organizer_id', '=', userId)
    .where((eb) =>
      eb.not(
        eb.exists(
          eb.selectFrom('event_participants as p').select('p.user_id').whereRef('p.event_id', '=', 'e.id'),
        ),
      ),
    )
    .returning('e.id')
    .execute();
  counts.events = events.length;

  // The unread ones leave the user's counter (migrations/0022) in the statement that deletes them.
  counts.notifications = await inBatches(deps.db, async (trx) => {
    const { rows } = await sql<{ id: string }>`
      with gone as (
        delete from notifications where id in (
          select id from notifications where user_id = ${userId} limit ${BATCH})
        returning id, read_at
      ), counted as (
        update notification_counters
        set unread = unread - (select count(*) from gone where read_at is null)
        where user_id = ${userId} and exists (select from gone where read_at is null)
      )
      select id from gone`.execute(trx);
    return rows.length;
  });

  for (const table of ['security_events', 'one_time_codes', 'sessions'] as const) {
    counts[table] = await inBatches(deps.db, async (trx) => {
      const rows = await trx
        .deleteFrom(table)
        .where('id', 'in', (eb) =>
          eb.selectFrom(table).select('id').where('user_id', '=', userId).limit(BATCH),
        )
        .returning('id')
        .execute();
      return rows.length;
    });
  }

  const media = await inBatches(deps.db, async (trx) => {
    const rows = await trx
      .deleteFrom('media')
      .where('id', 'in', (eb) =>
        eb.selectFrom('media').select('id').where('owner_id', '=', userId).limit(BATCH),
      )
      .returning('id')
      .execute();
    return rows.length;
  });
  counts.media = media;

  await deps.db
    .deleteFrom('blocks')
    .where((eb) => eb.or([eb('blocker_id', '=', userId), eb('blocked_id', '=', userId)]))
    .execute();
  await deps.db
    .deleteFrom('mutes')
    .where((eb) => eb.or([eb('muter_id', '=', userId), eb('muted_id', '=', userId)]))
    .execute();

  const exports = await deps.db
    .selectFrom('exports')
    .select(['id', 'key'])
    .where('user_id', '=', userId)
    .execute();
  if (exports.length > 0) {
    await deps.store.delete(exports.map((e) => e.key));
    await deps.db.deleteFrom('exports').where('user_id', '=', userId).execute();
  }

  if (hadMedia || media > 0 || events.length > 0) await queueMediaCollect(deps.queues).catch(() => {});
  deps.logger.info({ userId, ...counts }, 'deleted account purged');
}

/** Deleted accounts whose purge has not finished (a lost job, a queue that was away): queued again. */
export async function requeueUnfinishedPurges(db: Db, queues: Pick<Queues, 'add'>): Promise<number> {
  const rows = await db
    .selectFrom('users as u')
    .select('u.id')
    .where('u.deleted_at', 'is not', null)
    .where((eb) =>
      eb.or([
        eb.exists(eb.selectFrom('posts').select('id').whereRef('posts.author_id', '=', 'u.id')),
        eb.exists(eb.selectFrom('comments').select('id').whereRef('comments.author_id', '=', 'u.id')),
        eb.exists(eb.selectFrom('likes').select('post_id').whereRef('likes.user_id', '=', 'u.id')),
        eb.exists(eb.selectFrom('media').select('id').whereRef('media.owner_id', '=', 'u.id')),
        eb.exists(
          eb
            .selectFrom('event_participants')
            .select('event_id')
            .whereRef('event_participants.user_id', '=', 'u.id'),
        ),
        eb.exists(eb.selectFrom('notifications').select('id').whereRef('notifications.user_id', '=', 'u.id')),
      ]),
    )
    .limit(100)
    .execute();
  for (const row of rows) await queueAccountPurge(queues, row.id);
  return rows.length;
}

export type { Deps };
