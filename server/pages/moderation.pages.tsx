// `/moderation` for moderators and admins: the open reports queue (kept live by the bundle through the
// `moderation` topic), the accounts with search, filters and (un)suspension, and the audit log for admins.
// Members get the 404 page: the page's existence is not theirs to learn.
import type { AdminUser, AuditEntry, Page, Report } from '@plaza/client/protocol';
import type { Context } from 'hono';
import type { Child } from 'hono/jsx';
import type { AppEnv } from '../http/env.ts';
import { ReportCard } from './components/report-card.tsx';
import { Time } from './components/time.tsx';
import { takeFlash } from './flash.ts';
import { Layout, type Viewer } from './layout.tsx';
import { NotFoundPage } from './not-found.tsx';
import { loadViewer, type PageDeps } from './page-context.ts';

type Tab = 'reports' | 'users' | 'audit';

const isModerator = (viewer: Viewer | null) => viewer?.role === 'moderator' || viewer?.role === 'admin';

const AUDIT_ACTIONS = [
  'role_change',
  'suspend',
  'unsuspend',
  'reject_event',
  'cancel_event',
  'remove_post',
  'remove_comment',
  'report_dismiss',
  'report_remove_content',
  'report_suspend_user',
];

export async function moderationPage(deps: PageDeps, c: Context<AppEnv>) {
  if (!c.var.actor) return c.redirect(`/login?next=${encodeURIComponent('/moderation')}`);
  const viewer = await loadViewer(deps, c);
  if (!isModerator(viewer)) return NotFoundPage(deps, c, viewer, 'No such page.');
  const admin = viewer?.role === 'admin';
  const asked = c.req.query('tab');
  const tab: Tab = asked === 'users' || (asked === 'audit' && admin) ? asked : 'reports';
  const here = `/moderation${tab === 'reports' ? '' : `?tab=${tab}`}`;

  let body: Child;
  let seq = 0;
  if (tab === 'reports') {
    const cursor = c.req.query('cursor');
    const list = await deps.callApi<Page<Report>>(
      c,
      `/admin/reports?status=open&limit=50${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`,
    );
    seq = list.seq;
    const items = list.status === 200 ? list.data.items : [];
    body = (
      <>
        <p class="meta">Open reports, oldest first. New ones appear here as they are filed.</p>
        <ul id="reports" class="list">
          {items.map((report) => (
            <ReportCard report={report} />
          ))}
        </ul>
        <p class="empty" id="reports-empty" hidden={items.length > 0}>
          No open reports.
        </p>
        {list.status === 200 && list.data.nextCursor ? (
          <div class="pager">
            <a href={`/moderation?cursor=${encodeURIComponent(list.data.nextCursor)}`}>More reports</a>
          </div>
        ) : null}
      </>
    );
  } else if (tab === 'users') {
    const query = c.req.query('query') ?? '';
    const role = c.req.query('role') ?? '';
    const status = c.req.query('status') ?? '';
    const params = new URLSearchParams({ limit: '50' });
    if (query) params.set('query', query);
    if (['member', 'moderator', 'admin'].includes(role)) params.set('role', role);
    if (['active', 'suspended'].includes(status)) params.set('status', status);
    const cursor = c.req.query('cursor');
    if (cursor) params.set('cursor', cursor);
    const list = await deps.callApi<Page<AdminUser>>(c, `/admin/users?${params}`);
    seq = list.seq;
    const items = list.status === 200 ? list.data.items : [];
    const back = `/moderation?${new URLSearchParams({ tab: 'users', query, role, status })}`;
    body = (
      <>
        {/* A search only reads: its terms belong in the address, so a result can be reloaded and shared. */}
        <form method="get" action="/moderation" class="card filters" id="user-filters">
          <input type="hidden" name="tab" value="users" />
          <label>
            Search
            <input name="query" value={query} placeholder="name, @username or email" />
          </label>
          <label>
            Role
            <select name="role">
              <option value="">Any</option>
              {['member', 'moderator', 'admin'].map((r) => (
                <option value={r} selected={role === r}>
                  {r}
                </option>
              ))}
            </select>
          </label>
          <label>
            Status
            <select name="status">
              <option value="">Any</option>
              {['active', 'suspended'].map((s) => (
                <option value={s} selected={status === s}>
                  {s}
                </option>
              ))}
            </select>
          </label>
          <button type="submit">Search</button>
        </form>
        <ul id="admin-users" class="list">
          {items.map((row) => (
            <UserRow row={row} viewer={viewer!} back={back} />
          ))}
        </ul>
        {items.length === 0 ? <p class="empty">Nobody matches.</p> : null}
        {list.status === 200 && list.data.nextCursor ? (
          <div class="pager">
            <a href={`${back}&cursor=${encodeURIComponent(list.data.nextCursor)}`}>More</a>
          </div>
        ) : null}
      </>
    );
  } else {
    const actor = c.req.query('actor') ?? '';
    const action = c.req.query('action') ?? '';
    const params = new URLSearchParams({ limit: '50' });
    if (actor) params.set('actor', actor);
    if (AUDIT_ACTIONS.includes(action)) params.set('action', action);
    const cursor = c.req.query('cursor');
    if (cursor) params.set('cursor', cursor);
    const list = await deps.callApi<Page<AuditEntry>>(c, `/admin/audit?${params}`);
    seq = list.seq;
    const items = list.status === 200 ? list.data.items : [];
    body = (
      <>
        <form method="get" action="/moderation" class="card filters" id="audit-filters">
          <input type="hidden" name="tab" value="audit" />
          <label>
            By (username)
            <input name="actor" value={actor} />
          </label>
          <label>
            Action
            <select name="action">
              <option value="">Any</option>
              {AUDIT_ACTIONS.map((a) => (
                <option value={a} selected={action === a}>
                  {a.replaceAll('_', ' ')}
                </option>
              ))}
            </select>
          </label>
          <button type="submit">Filter</button>
        </form>
        <p class="meta">Every action of a moderator or admin, newest first. Entries can never be changed.</p>
        <ul id="audit" class="list">
          {items.map((entry) => (
            <li class="card audit-entry" id={`audit-${entry.id}`}>
              <div class="meta">
                <Time iso={entry.at} relative /> ·{' '}
                <a href={`/u/${entry.actor.username}`}>@{entry.actor.username}</a>
              </div>
              <div>
                <strong>{entry.action.replaceAll('_', ' ')}</strong> {entry.target.type}{' '}
                <code class="target-id">{entry.target.id}</code>
              </div>
              {entry.note ? <p class="body">{entry.note}</p> : null}
            </li>
          ))}
        </ul>
        {items.length === 0 ? <p class="empty">No entries.</p> : null}
        {list.status === 200 && list.data.nextCursor ? (
          <div class="pager">
            <a
              href={`/moderation?${new URLSearchParams({ tab: 'audit', actor, action, cursor: list.data.nextCursor })}`}
            >
              Older
            </a>
          </div>
        ) : null}
      </>
    );
  }

  const tabs: Array<{ id: Tab; label: string }> = [
    { id: 'reports', label: 'Reports' },
    { id: 'users', label: 'Users' },
    ...(admin ? [{ id: 'audit' as const, label: 'Audit log' }] : []),
  ];
  return c.html(
    <Layout
      flash={takeFlash(c)}
      title="Moderation"
      page="moderation"
      path="/moderation"
      viewer={viewer}
      seq={seq}
      assetUrl={deps.assetUrl}
      data={{ tab }}
    >
      <h1>Moderation</h1>
      <nav class="tabs" aria-label="Moderation">
        {tabs.map((t) => (
          <a
            href={t.id === 'reports' ? '/moderation' : `/moderation?tab=${t.id}`}
            aria-current={t.id === tab ? 'page' : undefined}
          >
            {t.label}
          </a>
        ))}
      </nav>
      <input type="hidden" id="moderation-back" value={here} />
      {body}
    </Layout>,
  );
}

const rank = { member: 0, moderator: 1, admin: 2 } as const;

function UserRow({ row, viewer, back }: { row: AdminUser; viewer: Viewer; back: string }) {
  const u = row.user;
  const above = rank[(viewer.role ?? 'member') as keyof typeof rank] > rank[row.role];
  return (
    <li class="card admin-user" id={`admin-user-${u.username}`}>
      <div class="admin-user-head">
        <div>
          <a href={`/u/${u.username}`}>
            <strong>{u.displayName}</strong>
          </a>{' '}
          <span class="meta">@{u.username}</span>
        </div>
        <span class={`pill ${row.status}`}>{row.status}</span>
      </div>
      <div class="meta">
        {row.email} · {row.role} · joined <Time iso={row.createdAt} relative /> ·{' '}
        {row.lastSeenAt ? (
          <>
            seen <Time iso={row.lastSeenAt} relative />
          </>
        ) : (
          'not signed in'
        )}{' '}
        ·{' '}
        <span class="open-reports">
          {row.openReports} open report{row.openReports === 1 ? '' : 's'}
        </span>
      </div>
      {above ? (
        <div class="actions">
          <form
            method="post"
            action={`/moderation/users/${u.username}/${row.status === 'suspended' ? 'unsuspend' : 'suspend'}`}
          >
            <input type="hidden" name="back" value={back} />
            <button type="submit" class={row.status === 'suspended' ? 'secondary' : 'danger'}>
              {row.status === 'suspended' ? 'Unsuspend' : 'Suspend'}
            </button>
          </form>
          {viewer.role === 'admin' ? (
            <form method="post" action={`/moderation/users/${u.username}/role`} class="role-form">
              <input type="hidden" name="back" value={back} />
              <select name="role" aria-label={`Role of @${u.username}`}>
                {(['member', 'moderator', 'admin'] as const).map((r) => (
                  <option value={r} selected={row.role === r}>
                    {r}
                  </option>
                ))}
              </select>
              <button type="submit" class="secondary">
                Set role
              </button>
            </form>
          ) : null}
        </div>
      ) : null}
    </li>
  );
}
