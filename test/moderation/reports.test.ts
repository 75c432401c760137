// Reports and the moderation queue against two real server instances, the email worker and an SMTP sink:
// filing rules, the live `moderation` topic across instances, two moderators resolving one report at once,
// what each resolution does (content removed, user suspended), who is told, and the audit log.
import type { AdminUser, AuditEntry, Notification, Page, Report } from '@plaza/client';
import { LiveCommandError } from '@plaza/client';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { newId } from '../../server/lib/ids.ts';
import { createTestContext, type TestContext } from '../helpers/context.ts';
import { bearer, createUser, type TestUser } from '../helpers/factories.ts';
import { connectLive } from '../helpers/live.ts';
import { type PlazaProcess, startServer, startWorkers, stopAll } from '../helpers/processes.ts';
import { type SmtpSink, startSmtpSink } from '../helpers/smtp-sink.ts';
import { waitFor } from '../helpers/wait.ts';

let ctx: TestContext;
let a: PlazaProcess;
let b: PlazaProcess;
let workers: PlazaProcess;
let sink: SmtpSink;
let moderator: TestUser;
let moderator2: TestUser;
let admin: TestUser;

const isLeader = async (p: PlazaProcess) =>
  ((await (await fetch(`${p.url}/health`)).json()) as { relayLeader: boolean }).relayLeader;

beforeAll(async () => {
  sink = await startSmtpSink();
  ctx = await createTestContext({ PUBLIC_URL: 'http://plaza.example' });
  a = await startServer(ctx.env, 'server-a');
  await waitFor(() => isLeader(a), { what: 'instance A to lead the relay' });
  b = await startServer(ctx.env, 'server-b');
  workers = await startWorkers({ ...ctx.env, SMTP_URL: sink.url }, ['email']);
  moderator = await createUser(ctx.db, { role: 'moderator' });
  moderator2 = await createUser(ctx.db, { role: 'moderator' });
  admin = await createUser(ctx.db, { role: 'admin' });
});

afterAll(async () => {
  await stopAll([a, b, workers]);
  await sink?.close();
  await ctx?.close();
});

async function api<T>(
  server: PlazaProcess,
  method: string,
  path: string,
  user: TestUser | null,
  body?: unknown,
): Promise<{ status: number; data: T }> {
  const res = await fetch(`${server.url}/api/v1${path}`, {
    method,
    headers: {
      ...(user ? bearer(user) : {}),
      ...(body === undefined ? {} : { 'content-type': 'application/json' }),
    },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await res.text();
  return { status: res.status, data: (text ? JSON.parse(text) : null) as T };
}

type ErrorBody = { error: { code: string; message: string } };

async function newPost(author: TestUser, body = 'Buy cheap watches at example.invalid'): Promise<string> {
  const { status, data } = await api<{ id: string }>(a, 'POST', '/posts', author, { body });
  expect(status).toBe(201);
  return data.id;
}

const report = (server: PlazaProcess, user: TestUser, target: { type: string; id: string }, extra = {}) =>
  api<Report & ErrorBody>(server, 'POST', '/reports', user, { target, category: 'spam', ...extra });

const auditFor = async (targetId: string) =>
  (
    await sql<{
      action: string;
      actor_id: string;
      note: string;
    }>`select action, actor_id, note from audit_log where target_id = ${targetId}`.execute(ctx.db)
  ).rows;

/** Server connections of this test's database waiting for a lock (row or advisory). */
const waitingOnLocks = async () =>
  (
    await sql<{ n: number }>`select count(*)::int as n from pg_stat_activity
      where datname = current_database() and application_name = 'plaza-server' and wait_event_type = 'Lock'`.execute(
      ctx.db,
    )
  ).rows[0]!.n;

describe('POST /reports', () => {
  it('files a report with a snapshot, answers the open one again, and refuses yourself', async () => {
    const author = await createUser(ctx.db);
    const reporter = await createUser(ctx.db);
    const postId = await newPost(author, 'the words as reported');

    const first = await report(a, reporter, { type: 'post', id: postId }, { comment: 'scam link' });
    expect(first.status).toBe(201);
    expect(first.data).toMatchObject({
      reporter: { id: reporter.id, username: reporter.username },
      target: {
        type: 'post',
        id: postId,
        snapshot: { text: 'the words as reported', author: { id: author.id }, url: `/posts/${postId}` },
      },
      category: 'spam',
      comment: 'scam link',
      status: 'open',
      action: null,
      resolvedBy: null,
      resolvedAt: null,
    });

    // Same reporter and target while open, from the other instance and concurrently: the same report.
    const again = await Promise.all([
      report(b, reporter, { type: 'post', id: postId }, { category: 'harassment' }),
      report(a, reporter, { type: 'post', id: postId }),
    ]);
    for (const r of again) {
      expect(r.status).toBe(200);
      expect(r.data.id).toBe(first.data.id);
    }
    const { rows } = await sql<{
      n: number;
    }>`select count(*)::int as n from reports where target_id = ${postId}`.execute(ctx.db);
    expect(rows[0]!.n).toBe(1);

    const self = await report(a, author, { type: 'post', id: postId });
    expect(self.status).toBe(400);
    expect((await report(a, author, { type: 'user', id: author.id })).status).toBe(400);
    expect((await report(a, reporter, { type: 'post', id: newId() })).status).toBe(404);
    expect(
      (await report(a, reporter, { type: 'user', id: author.id }, { comment: 'x'.repeat(1001) })).status,
    ).toBe(400);
    expect((await report(a, null as unknown as TestUser, { type: 'user', id: author.id })).status).toBe(401);

    // The snapshot outlives the content.
    expect((await api(a, 'DELETE', `/posts/${postId}`, author)).status).toBe(204);
    const queue = await api<Page<Report>>(a, 'GET', '/admin/reports?limit=100', moderator);
    const kept = queue.data.items.find((r) => r.id === first.data.id);
    expect(kept?.target.snapshot.text).toBe('the words as reported');
  });

  it('allows 10 reports an hour, then 429 with Retry-After', async () => {
    const reporter = await createUser(ctx.db);
    const targets = await Promise.all(Array.from({ length: 11 }, () => createUser(ctx.db)));
    for (const target of targets.slice(0, 10)) {
      expect((await report(a, reporter, { type: 'user', id: target.id })).status).toBe(201);
    }
    const over = await fetch(`${b.url}/api/v1/reports`, {
      method: 'POST',
      headers: { ...bearer(reporter), 'content-type': 'application/json' },
      body: JSON.stringify({ target: { type: 'user', id: targets[10]!.id }, category: 'other' }),
    });
    expect(over.status).toBe(429);
    expect(Number(over.headers.get('retry-after'))).toBeGreaterThan(0);
    // Asking again about an open report is not a new one: still answered.
    expect((await report(a, reporter, { type: 'user', id: targets[0]!.id })).status).toBe(200);
  });

  it('is the `report:create` socket command too, with the same rules', async () => {
    const author = await createUser(ctx.db);
    const reporter = await createUser(ctx.db);
    const postId = await newPost(author);
    const socket = await connectLive({ url: b.url, token: reporter.token });
    try {
      const made = await socket.live.command('report:create', {
        target: { type: 'post', id: postId },
        category: 'harassment',
      });
      expect(made).toMatchObject({ status: 'open', target: { type: 'post', id: postId } });
      const again = await socket.live.command('report:create', {
        target: { type: 'post', id: postId },
        category: 'spam',
      });
      expect(again.id).toBe(made.id);
      const self = await socket.live
        .command('report:create', { target: { type: 'user', id: reporter.id }, category: 'spam' })
        .catch((error: unknown) => error);
      expect(self).toBeInstanceOf(LiveCommandError);
      expect((self as LiveCommandError).code).toBe('validation_failed');
    } finally {
      socket.close();
    }
  });
});

describe('the moderation topic', () => {
  it("delivers a report made on A to a moderator's socket on B, and refuses members", async () => {
    const watcher = await connectLive({ url: b.url, token: moderator.token, topics: ['moderation'] });
    const member = await createUser(ctx.db);
    const memberSocket = await connectLive({ url: b.url, token: member.token });
    try {
      const refused = await memberSocket.live
        .command('subscribe', { topics: ['moderation'] })
        .catch((error: unknown) => error);
      expect(refused).toBeInstanceOf(LiveCommandError);
      expect((refused as LiveCommandError).code).toBe('forbidden');

      const target = await createUser(ctx.db);
      const made = await report(a, member, { type: 'user', id: target.id });
      expect(made.status).toBe(201);
      await waitFor(
        () => watcher.pushes.find((p) => p.type === 'report:created' && p.data.report.id === made.data.id),
        { timeoutMs: 15_000, what: 'report:created on B' },
      );
    } finally {
      watcher.close();
      memberSocket.close();
    }
  });
});

describe('resolving', () => {
  it('two moderators resolving the same report at once on two instances: one resolution, one audit entry', async () => {
    const author = await createUser(ctx.db);
    const reporter = await createUser(ctx.db);
    const other = await createUser(ctx.db);
    const postId = await newPost(author, 'Reported words');
    const first = await report(a, reporter, { type: 'post', id: postId });
    const second = await report(b, other, { type: 'post', id: postId });
    const watcher = await connectLive({ url: a.url, token: moderator2.token, topics: ['moderation'] });

    try {
      // The report's row is held until both requests wait on it: they really do arrive at once.
      const held = await ctx.db.transaction().execute(async (trx) => {
        await sql`select id from reports where id = ${first.data.id} for update`.execute(trx);
        const requests = Promise.all([
          api<Report & ErrorBody>(a, 'POST', `/admin/reports/${first.data.id}/resolve`, moderator, {
            action: 'remove_content',
            note: 'Spam links are not allowed',
          }),
          api<Report & ErrorBody>(b, 'POST', `/admin/reports/${first.data.id}/resolve`, moderator2, {
            action: 'dismiss',
            note: 'looks fine',
          }),
        ]);
        await waitFor(async () => (await waitingOnLocks()) >= 2, { what: 'both resolutions waiting' });
        return { requests };
      });
      const [one, two] = await held.requests;
      const statuses = [one.status, two.status].sort();
      expect(statuses).toEqual([200, 409]);
      const won = one.status === 200 ? one : two;
      const lost = one.status === 200 ? two : one;
      expect(lost.data.error.code).toBe('conflict');
      expect(won.data).toMatchObject({ status: 'resolved', id: first.data.id });
      expect(won.data.resolvedAt).not.toBeNull();

      // Exactly one resolution in the database, one audit entry, for the report's target.
      const rows = (
        await sql<{
          status: string;
          action: string;
          resolved_by: string;
        }>`select status, action, resolved_by from reports where target_id = ${postId}`.execute(ctx.db)
      ).rows;
      expect(rows).toHaveLength(2);
      // The other open report on the same target is resolved with it, the same way.
      expect(new Set(rows.map((r) => `${r.status}/${r.action}/${r.resolved_by}`)).size).toBe(1);
      expect(rows[0]!.status).toBe('resolved');
      const entries = await auditFor(postId);
      expect(entries).toHaveLength(1);
      expect(entries[0]!.action).toBe(`report_${won.data.action}`);

      // Both reporters are told the outcome (not who decided).
      for (const user of [reporter, other]) {
        const note = await waitFor(async () => {
          const list = await api<Page<Notification>>(a, 'GET', '/notifications', user);
          return list.data.items.find((n) => n.type === 'report_resolved');
        });
        expect(note.body).not.toContain(moderator.username);
        expect(note.body).not.toContain(moderator2.username);
      }
      // Moderators watching the queue see both resolutions.
      await waitFor(
        () =>
          [first.data.id, second.data.id].every((id) =>
            watcher.pushes.some((p) => p.type === 'report:resolved' && p.data.report.id === id),
          ),
        { timeoutMs: 15_000, what: 'report:resolved pushes' },
      );

      if (won.data.action === 'remove_content') {
        expect((await api(b, 'GET', `/posts/${postId}`, null)).status).toBe(404);
        const mail = await sink.waitForMessage(author.email, (m) => m.subject.includes('removed'));
        expect(mail.text).toContain('Spam links are not allowed');
      } else {
        expect((await api(b, 'GET', `/posts/${postId}`, null)).status).toBe(200);
      }
    } finally {
      watcher.close();
    }
  });

  it('two moderators resolving two reports on the same target at once: one resolution, one audit entry', async () => {
    const author = await createUser(ctx.db);
    const reporters = await Promise.all([createUser(ctx.db), createUser(ctx.db)]);
    const postId = await newPost(author, 'Twice reported');
    const [r1, r2] = await Promise.all(reporters.map((r) => report(a, r, { type: 'post', id: postId })));
    const ids = [r1!.data.id, r2!.data.id];
    // Both resolutions are made to start together: the reports' rows are held until both requests wait.
    // Each locking its own report and then the other's (resolving every open report on the target) would
    // deadlock; they must take turns instead.
    const both = await ctx.db.transaction().execute(async (trx) => {
      await sql`select id from reports where id in (${ids[0]}, ${ids[1]}) for update`.execute(trx);
      const requests = Promise.all([
        api<Report & ErrorBody>(a, 'POST', `/admin/reports/${ids[0]}/resolve`, moderator, {
          action: 'dismiss',
        }),
        api<Report & ErrorBody>(b, 'POST', `/admin/reports/${ids[1]}/resolve`, moderator2, {
          action: 'dismiss',
        }),
      ]);
      await waitFor(async () => (await waitingOnLocks()) >= 2, { what: 'both resolutions waiting' });
      // Wrapped: an async callback returning the promise itself would wait for it before committing.
      return { requests };
    });
    const [one, two] = await both.requests;
    expect([one.status, two.status].sort()).toEqual([200, 409]);
    expect(await auditFor(postId)).toHaveLength(1);
    const { rows } = await sql<{
      n: number;
    }>`select count(*)::int as n from reports where target_id = ${postId} and status = 'resolved'`.execute(
      ctx.db,
    );
    expect(rows[0]!.n).toBe(2);
  });

  it('remove_content on a comment removes it and emails its author the reason', async () => {
    const author = await createUser(ctx.db);
    const commenter = await createUser(ctx.db);
    const reporter = await createUser(ctx.db);
    const postId = await newPost(author, 'A fine post');
    const comment = await api<{ id: string }>(a, 'POST', `/posts/${postId}/comments`, commenter, {
      body: 'an insult',
    });
    const filed = await report(
      a,
      reporter,
      { type: 'comment', id: comment.data.id },
      { category: 'harassment' },
    );
    expect(filed.data.target.snapshot).toMatchObject({ text: 'an insult', author: { id: commenter.id } });
    const resolved = await api<Report>(b, 'POST', `/admin/reports/${filed.data.id}/resolve`, moderator, {
      action: 'remove_content',
      note: 'Be kind',
    });
    expect(resolved.status).toBe(200);
    expect(resolved.data.action).toBe('remove_content');
    const comments = await api<Page<{ id: string }>>(a, 'GET', `/posts/${postId}/comments`, null);
    expect(comments.data.items.map((c) => c.id)).not.toContain(comment.data.id);
    const mail = await sink.waitForMessage(commenter.email, (m) => m.subject.includes('comment'));
    expect(mail.text).toContain('Be kind');
    expect(await auditFor(comment.data.id)).toEqual([
      { action: 'report_remove_content', actor_id: moderator.id, note: 'Be kind' },
    ]);
  });

  it('suspend_user suspends, emails the reason; unsuspend lifts it; each is one audit entry', async () => {
    const offender = await createUser(ctx.db);
    const reporter = await createUser(ctx.db);
    const filed = await report(a, reporter, { type: 'user', id: offender.id }, { category: 'harassment' });
    // A moderator cannot remove a user as content.
    const wrong = await api<ErrorBody>(a, 'POST', `/admin/reports/${filed.data.id}/resolve`, moderator, {
      action: 'remove_content',
      note: '',
    });
    expect(wrong.status).toBe(400);

    const resolved = await api<Report>(a, 'POST', `/admin/reports/${filed.data.id}/resolve`, moderator, {
      action: 'suspend_user',
      note: 'Repeated harassment',
    });
    expect(resolved.status).toBe(200);
    expect((await api(b, 'GET', '/me', offender)).status).toBe(401);
    const mail = await sink.waitForMessage(offender.email, (m) => m.subject.includes('suspended'));
    expect(mail.text).toContain('Repeated harassment');

    const suspended = await api<Page<AdminUser>>(
      b,
      'GET',
      `/admin/users?status=suspended&query=${offender.username}`,
      moderator,
    );
    expect(suspended.data.items.map((u) => u.user.id)).toEqual([offender.id]);
    expect(suspended.data.items[0]).toMatchObject({
      status: 'suspended',
      role: 'member',
      email: offender.email,
    });

    expect((await api(b, 'POST', `/admin/users/${offender.username}/unsuspend`, moderator)).status).toBe(204);
    const active = await api<Page<AdminUser>>(a, 'GET', `/admin/users?query=${offender.username}`, moderator);
    expect(active.data.items[0]?.status).toBe('active');
    expect((await auditFor(offender.id)).map((e) => e.action).sort()).toEqual([
      'report_suspend_user',
      'unsuspend',
    ]);
    // Unsuspending an active account changes nothing and writes nothing.
    expect((await api(b, 'POST', `/admin/users/${offender.username}/unsuspend`, moderator)).status).toBe(204);
    expect(await auditFor(offender.id)).toHaveLength(2);
    // Moderators cannot unsuspend peers.
    expect((await api(b, 'POST', `/admin/users/${moderator2.username}/unsuspend`, moderator)).status).toBe(
      403,
    );
  });

  it('404 for an unknown report, 403 for members', async () => {
    const member = await createUser(ctx.db);
    expect(
      (await api(a, 'POST', `/admin/reports/${newId()}/resolve`, moderator, { action: 'dismiss' })).status,
    ).toBe(404);
    expect(
      (await api(a, 'POST', `/admin/reports/${newId()}/resolve`, member, { action: 'dismiss' })).status,
    ).toBe(403);
    expect((await api(a, 'GET', '/admin/reports', member)).status).toBe(403);
    expect((await api(a, 'GET', '/admin/users', member)).status).toBe(403);
  });
});

describe('the queue, the user list and the audit log', () => {
  it('lists open reports oldest first, with open report counts per user', async () => {
    const target = await createUser(ctx.db);
    const reporters = await Promise.all([createUser(ctx.db), createUser(ctx.db)]);
    const ids: string[] = [];
    for (const r of reporters) ids.push((await report(a, r, { type: 'user', id: target.id })).data.id);
    const items: Report[] = [];
    let cursor: string | null = null;
    do {
      const page: { data: Page<Report> } = await api<Page<Report>>(
        a,
        'GET',
        `/admin/reports?status=open&limit=5${cursor ? `&cursor=${cursor}` : ''}`,
        moderator,
      );
      items.push(...page.data.items);
      cursor = page.data.nextCursor;
    } while (cursor);
    const created = items.map((r) => r.createdAt);
    expect([...created].sort()).toEqual(created);
    expect(items.every((r) => r.status === 'open')).toBe(true);
    const mine = items.filter((r) => ids.includes(r.id)).map((r) => r.id);
    expect(mine).toEqual(ids);
    const listed = await api<Page<AdminUser>>(a, 'GET', `/admin/users?query=${target.username}`, moderator);
    expect(listed.data.items[0]?.openReports).toBe(2);
    const mods = await api<Page<AdminUser>>(a, 'GET', '/admin/users?role=moderator&limit=100', moderator);
    expect(mods.data.items.map((u) => u.user.id)).toEqual(
      expect.arrayContaining([moderator.id, moderator2.id]),
    );
    expect(mods.data.items.every((u) => u.role === 'moderator')).toBe(true);
  });

  it('records role changes, rejections and removals of others’ content; admins read it, filtered', async () => {
    const member = await createUser(ctx.db);
    expect(
      (await api(a, 'PUT', `/admin/users/${member.username}/role`, admin, { role: 'moderator' })).status,
    ).toBe(200);
    const postId = await newPost(member);
    expect((await api(a, 'DELETE', `/posts/${postId}`, admin)).status).toBe(204);
    // Deleting your own post is not a moderator's action.
    const own = await newPost(admin);
    expect((await api(a, 'DELETE', `/posts/${own}`, admin)).status).toBe(204);
    expect(await auditFor(own)).toEqual([]);

    const log = await api<Page<AuditEntry>>(
      a,
      'GET',
      `/admin/audit?actor=${admin.username}&limit=100`,
      admin,
    );
    expect(log.status).toBe(200);
    const actions = log.data.items.map((e) => `${e.action}:${e.target.id}`);
    expect(actions).toEqual(expect.arrayContaining([`role_change:${member.id}`, `remove_post:${postId}`]));
    expect(log.data.items.every((e) => e.actor.id === admin.id)).toBe(true);
    const filtered = await api<Page<AuditEntry>>(a, 'GET', '/admin/audit?action=remove_post', admin);
    expect(filtered.data.items.every((e) => e.action === 'remove_post')).toBe(true);
    expect((await api(a, 'GET', '/admin/audit', moderator)).status).toBe(403);
  });

  it('audits event rejections and removals of comments; a report on an event rejects it with one entry', async () => {
    const organizer = await createUser(ctx.db);
    const startsAt = new Date(Date.now() + 86_400_000);
    const eventBody = (title: string) => ({
      title,
      description: 'Details',
      startsAt: startsAt.toISOString(),
      endsAt: new Date(startsAt.getTime() + 3_600_000).toISOString(),
    });
    const rejected = await api<{ id: string }>(a, 'POST', '/events', organizer, eventBody('To reject'));
    expect(
      (await api(a, 'POST', `/events/${rejected.data.id}/reject`, moderator, { reason: 'Not allowed' }))
        .status,
    ).toBe(200);
    expect(await auditFor(rejected.data.id)).toEqual([
      { action: 'reject_event', actor_id: moderator.id, note: 'Not allowed' },
    ]);

    const reported = await api<{ id: string }>(a, 'POST', '/events', organizer, eventBody('Reported'));
    const reporter = await createUser(ctx.db);
    const filed = await report(a, reporter, { type: 'event', id: reported.data.id }, { category: 'illegal' });
    expect(filed.data.target.snapshot.title).toBe('Reported');
    const resolved = await api<Report>(b, 'POST', `/admin/reports/${filed.data.id}/resolve`, moderator, {
      action: 'remove_content',
      note: 'Illegal event',
    });
    expect(resolved.status).toBe(200);
    const event = await api<{ status: string }>(a, 'GET', `/events/${reported.data.id}`, moderator);
    expect(event.data.status).toBe('rejected');
    expect((await api(a, 'GET', `/events/${reported.data.id}`, reporter)).status).toBe(404);
    expect((await auditFor(reported.data.id)).map((e) => e.action)).toEqual(['report_remove_content']);
    await sink.waitForMessage(organizer.email, (m) => m.text.includes('Illegal event'));

    const postId = await newPost(organizer);
    const commenter = await createUser(ctx.db);
    const comment = await api<{ id: string }>(a, 'POST', `/posts/${postId}/comments`, commenter, {
      body: 'hm',
    });
    expect((await api(a, 'DELETE', `/comments/${comment.data.id}`, moderator)).status).toBe(204);
    expect((await auditFor(comment.data.id)).map((e) => e.action)).toEqual(['remove_comment']);
    // The post's author deleting a comment under their post is not a moderator's action.
    const another = await api<{ id: string }>(a, 'POST', `/posts/${postId}/comments`, commenter, {
      body: 'hm',
    });
    expect((await api(a, 'DELETE', `/comments/${another.data.id}`, organizer)).status).toBe(204);
    expect(await auditFor(another.data.id)).toEqual([]);
  });

  it('refuses UPDATE, DELETE and TRUNCATE of the audit log at the database', async () => {
    const { rows } = await sql<{ n: number }>`select count(*)::int as n from audit_log`.execute(ctx.db);
    expect(rows[0]!.n).toBeGreaterThan(0);
    await expect(sql`update audit_log set note = 'tampered'`.execute(ctx.db)).rejects.toThrow(/append-only/);
    await expect(sql`delete from audit_log`.execute(ctx.db)).rejects.toThrow(/append-only/);
    await expect(sql`truncate audit_log`.execute(ctx.db)).rejects.toThrow(/append-only/);
    const after = await sql<{ n: number }>`select count(*)::int as n from audit_log`.execute(ctx.db);
    expect(after.rows[0]!.n).toBe(rows[0]!.n);
  });
});
