// The rules of reports: who may report what (not yourself; once while open; 10 an hour), the moderators'
// queue, and resolution: the action, the other open reports on the target, the reporters' notifications,
// the `moderation` pushes and the audit entry all commit in one transaction; emails and session drops after.
import type { Page, Report, ReportAction, ReportSnapshot, ReportTargetType } from '@plaza/client/protocol';
import type { Redis } from 'ioredis';
import { suspendInTransaction } from '../admin/admin.service.ts';
import { type Actor, assertRole, hasRole } from '../auth/actor.ts';
import { queueAccountEmail } from '../auth/auth.emails.ts';
import { lockCommentWithPost } from '../comments/comments.repository.ts';
import { removeLockedComment } from '../comments/comments.service.ts';
import type { Trx } from '../db/database.ts';
import { type Deps, forgetSessions } from '../deps.ts';
import { afterEventClosed, type ClosedEvent, closeEventInTransaction } from '../events/events.service.ts';
import { AppError, notFound, unauthenticated } from '../lib/errors.ts';
import { newId } from '../lib/ids.ts';
import { toPage } from '../lib/pagination.ts';
import { RateLimit } from '../lib/rate-limit.ts';
import { decodeTimeCursor, timeKeyOf } from '../lib/time-cursor.ts';
import { avatarUrlOf, type MediaUrls } from '../media/media.objects.ts';
import { collectSoon } from '../media/media.service.ts';
import { mediaStoreOf } from '../media/store.factory.ts';
import { notifyMany } from '../notifications/notifications.service.ts';
import { lockPost } from '../posts/posts.repository.ts';
import { removeLockedPost } from '../posts/posts.service.ts';
import { appendEvents } from '../realtime/event-log.ts';
import { hideIfBlockedBy } from '../safety/safety.guards.ts';
import { recordAudit } from './audit.ts';
import { MODERATION_ROOM } from './moderation.topic.ts';
import {
  findOpenReportId,
  findReportViews,
  findTarget,
  insertReport,
  listReportPage,
  lockTarget,
  type ReportRow,
  reportTarget,
  resolveIfOpen,
  resolveOthersOnTarget,
} from './reports.repository.ts';
import type { CreateReportInput, ReportListQuery, ResolveReportInput } from './reports.schema.ts';

/** The contract's figure: a user files at most 10 reports an hour. */
export const REPORTS_PER_HOUR = 10;
const limits = new WeakMap<Redis, RateLimit>();
function reportLimit(deps: Pick<Deps, 'redis' | 'config'>): RateLimit {
  let limit = limits.get(deps.redis);
  if (!limit) {
    limit = new RateLimit(deps.redis, deps.config.redisPrefix, 'reports', {
      points: REPORTS_PER_HOUR,
      durationSec: 3_600,
    });
    limits.set(deps.redis, limit);
  }
  return limit;
}

export const reportRowToReport = (row: ReportRow, urls: MediaUrls): Report => ({
  id: row.id,
  reporter: {
    id: row.reporter_id,
    username: row.reporter_username,
    displayName: row.reporter_display_name,
    avatarUrl: avatarUrlOf(row.reporter_avatar_key, urls),
  },
  target: { type: row.target_type, id: row.target_id, snapshot: row.snapshot as ReportSnapshot },
  category: row.category,
  comment: row.comment,
  status: row.status,
  action: row.action,
  note: row.note,
  resolvedBy:
    row.resolved_by && row.resolver_username
      ? {
          id: row.resolved_by,
          username: row.resolver_username,
          displayName: row.resolver_display_name ?? row.resolver_username,
          avatarUrl: avatarUrlOf(row.resolver_avatar_key, urls),
        }
      : null,
  createdAt: row.created_at.toISOString(),
  resolvedAt: row.resolved_at ? row.resolved_at.toISOString() : null,
});

const selfReport = () =>
  new AppError('validation_failed', 'You cannot report yourself or your own content', {
    issues: [{ path: 'target', message: 'cannot report yourself' }],
  });

const TARGET_NAMES: Record<ReportTargetType, string> = {
  post: 'Post',
  comment: 'Comment',
  user: 'User',
  event: 'Event',
};

export interface CreatedReport {
  report: Report;
  /** False when the reporter's open report on the target was answered instead. */
  created: boolean;
}

/** Files a report (201), or answers the reporter's open one on the same target (200). */
export async function createReport(
  deps: Deps,
  actor: Actor | null,
  input: CreateReportInput,
): Promise<CreatedReport> {
  if (!actor) throw unauthenticated();
  const urls = mediaStoreOf(deps.config);
  const { type, id } = input.target;
  const found = await findTarget(deps.db, type, id, urls);
  // What the reporter cannot see cannot be reported: a rejected event, a blocker's content.
  if (!found || (found.eventStatus === 'rejected' && !hasRole(actor, 'moderator'))) {
    throw notFound(TARGET_NAMES[type]);
  }
  if (found.ownerId === actor.userId) throw selfReport();
  await hideIfBlockedBy(deps.db, actor, found.ownerId, TARGET_NAMES[type]);

  const open = await findOpenReportId(deps.db, actor.userId, type, id);
  if (open) return { report: await reportById(deps, open), created: false };
  await reportLimit(deps).consume(actor.userId);

  const reportId = newId();
  const created = await deps.db.transaction().execute(async (trx) => {
    const inserted = await insertReport(trx, {
      id: reportId,
      reporterId: actor.userId,
      type,
      targetId: id,
      ownerId: found.ownerId,
      snapshot: found.snapshot,
      category: input.category,
      comment: input.comment ?? '',
    });
    if (!inserted) return null;
    const [row] = await findReportViews(trx, [reportId]);
    const report = reportRowToReport(row!, urls);
    await appendEvents(trx, [{ type: 'report:created', topic: MODERATION_ROOM, data: { report } }]);
    return report;
  });
  if (created) return { report: created, created: true };
  // A concurrent request of the same reporter filed it first: answer that one.
  const winner = await findOpenReportId(deps.db, actor.userId, type, id);
  if (!winner) throw new AppError('conflict', 'The report changed meanwhile, try again');
  return { report: await reportById(deps, winner), created: false };
}

async function reportById(deps: Pick<Deps, 'db' | 'config'>, id: string): Promise<Report> {
  const [row] = await findReportViews(deps.db, [id]);
  if (!row) throw notFound('Report');
  return reportRowToReport(row, mediaStoreOf(deps.config));
}

export async function listReports(
  deps: Pick<Deps, 'db' | 'config'>,
  actor: Actor | null,
  query: ReportListQuery,
): Promise<Page<Report>> {
  assertRole(actor, 'moderator');
  const rows = await listReportPage(deps.db, query.status, decodeTimeCursor(query.cursor), query.limit);
  const urls = mediaStoreOf(deps.config);
  return toPage(
    rows,
    query.limit,
    (row) => reportRowToReport(row, urls),
    (row) => timeKeyOf(row.created_at, row.id),
  );
}

/** What the reporter is told: the outcome, never who decided it. */
const OUTCOMES: Record<ReportAction, string> = {
  dismiss: 'The moderators reviewed it and found no rule broken.',
  remove_content: 'The moderators removed the content you reported.',
  suspend_user: "The moderators suspended the reported user's account.",
};

interface AfterCommit {
  forgetUserId: string | null;
  collectMedia: boolean;
  closedEvent: ClosedEvent;
}

/**
 * Resolves an open report with its action, in one transaction with the resolution of every other open report
 * on the same target, the reporters' notifications, the pushes and the audit entry. A report already
 * resolved (another moderator was first) is 409.
 */
export async function resolveReport(
  deps: Deps,
  actor: Actor | null,
  id: string,
  input: ResolveReportInput,
): Promise<Report> {
  const me = assertRole(actor, 'moderator');
  const urls = mediaStoreOf(deps.config);
  const resolution = { action: input.action, note: input.note, resolvedBy: me.userId };
  const after: AfterCommit = { forgetUserId: null, collectMedia: false, closedEvent: null };
  const outcome = await deps.db.transaction().execute(async (trx) => {
    // One resolution per target at a time: two moderators resolving two reports on the same target would
    // otherwise each lock their own and wait for the other's (a deadlock); now the second waits, then finds
    // its report resolved with the first.
    const found = await reportTarget(trx, id);
    if (!found) throw notFound('Report');
    await lockTarget(trx, found);
    const report = await resolveIfOpen(trx, id, resolution);
    if (!report) {
      throw new AppError('conflict', 'This report was already resolved by another moderator', {
        reportId: id,
      });
    }
    const target = { type: report.target_type, id: report.target_id };
    const others = await resolveOthersOnTarget(trx, target, resolution);
    await applyAction(trx, deps, me, input, report, after);
    const ids = [report.id, ...others.map((o) => o.id)];
    const reports = (await findReportViews(trx, ids)).map((row) => reportRowToReport(row, urls));
    const snapshot = report.snapshot as ReportSnapshot;
    // One notification per reporter, however many of their reports on this target this closed.
    const reporters = [...new Set(reports.map((r) => r.reporter.id))];
    await notifyMany(
      trx,
      reporters.map((userId) => ({
        userId,
        type: 'report_resolved' as const,
        title: 'Your report was reviewed',
        body: OUTCOMES[input.action],
        url: input.action === 'remove_content' ? '/' : snapshot.url,
        dedupeKey: `report_resolved:${report.id}:${userId}`,
      })),
    );
    await appendEvents(
      trx,
      reports.map((r) => ({ type: 'report:resolved' as const, topic: MODERATION_ROOM, data: { report: r } })),
    );
    await recordAudit(trx, {
      actorId: me.userId,
      action: `report_${input.action}`,
      target,
      note: input.note,
    });
    const owner = report.target_user_id
      ? await trx
          .selectFrom('users')
          .select(['email', 'username'])
          .where('id', '=', report.target_user_id)
          .executeTakeFirst()
      : undefined;
    return { report: reports.find((r) => r.id === report.id)!, owner, snapshot };
  });

  if (after.forgetUserId) await forgetSessions(deps, { userIds: [after.forgetUserId] });
  if (after.collectMedia) await collectSoon(deps);
  await afterEventClosed(deps, after.closedEvent);
  if (input.action !== 'dismiss' && outcome.owner?.email) {
    await queueAccountEmail(
      deps,
      targetEmail(outcome.owner.email, input.action, outcome.report, input.note, deps.config.publicUrl),
    ).catch((error: unknown) =>
      deps.logger.warn({ err: error, reportId: id }, 'could not queue the email of a resolved report'),
    );
  }
  return outcome.report;
}

async function applyAction(
  trx: Trx,
  deps: Deps,
  me: Actor,
  input: ResolveReportInput,
  report: { target_type: ReportTargetType; target_id: string; target_user_id: string | null },
  after: AfterCommit,
): Promise<void> {
  if (input.action === 'dismiss') return;
  if (input.action === 'suspend_user') {
    if (!report.target_user_id) throw new AppError('conflict', 'The reported user no longer exists');
    const user = await trx
      .selectFrom('users')
      .select(['id', 'role', 'suspended_at'])
      .where('id', '=', report.target_user_id)
      .executeTakeFirst();
    if (!user) throw new AppError('conflict', 'The reported user no longer exists');
    await suspendInTransaction(trx, me, user);
    after.forgetUserId = user.id;
    return;
  }
  // remove_content: content already gone (its author deleted it) leaves nothing to remove.
  switch (report.target_type) {
    case 'post': {
      const post = await lockPost(trx, report.target_id);
      if (post) {
        await removeLockedPost(trx, post);
        after.collectMedia = post.has_media;
      }
      return;
    }
    case 'comment': {
      const comment = await lockCommentWithPost(trx, report.target_id);
      if (comment) await removeLockedComment(trx, comment);
      return;
    }
    case 'event': {
      const reason = input.note || 'Removed by the moderators after a report';
      try {
        after.closedEvent = await closeEventInTransaction(
          trx,
          deps,
          me,
          report.target_id,
          () => {},
          'rejected',
          reason,
        );
      } catch (error) {
        // A cancelled event is off the listings already; a missing one has nothing left to remove.
        if (!(error instanceof AppError) || (error.code !== 'conflict' && error.code !== 'not_found'))
          throw error;
      }
      return;
    }
    case 'user':
      throw new AppError('validation_failed', 'A user is not content: suspend them, or dismiss the report', {
        issues: [{ path: 'action', message: 'remove_content does not apply to a user' }],
      });
  }
}

const WHAT: Record<ReportTargetType, string> = {
  post: 'post',
  comment: 'comment',
  user: 'profile',
  event: 'event',
};

function targetEmail(to: string, action: ReportAction, report: Report, note: string, publicUrl: URL) {
  const reason = note || `It was reported as ${report.category} and found to break the rules.`;
  const snapshot = report.target.snapshot;
  const excerpt = (snapshot.title ? `${snapshot.title}\n` : '') + snapshot.text.slice(0, 500);
  if (action === 'suspend_user') {
    return {
      to,
      subject: 'Your Plaza account was suspended',
      text: `The moderators of Plaza suspended your account after a report on your ${WHAT[report.target.type]}.\n\nReason: ${reason}\n\nWhile suspended you cannot sign in. You can still ask for a copy of your data or delete your account. To appeal, reply to the operators of ${publicUrl.host}.\n`,
    };
  }
  return {
    to,
    subject: `Your ${WHAT[report.target.type]} on Plaza was removed`,
    text: `The moderators of Plaza removed your ${WHAT[report.target.type]} after a report.\n\nReason: ${reason}\n\nWhat was removed:\n${excerpt}\n`,
  };
}
