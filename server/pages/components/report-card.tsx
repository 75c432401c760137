// One report in the moderation queue: what was reported as it was then (the snapshot), by whom and why, and
// the resolve form (an action and a note). Drawn by the server and, for reports arriving live, by the bundle.
import type { Report } from '@plaza/client/protocol';
import { REPORT_CATEGORIES } from './report-form.tsx';
import { Time } from './time.tsx';

const categoryLabel = (value: string) => REPORT_CATEGORIES.find((c) => c.value === value)?.label ?? value;

const ACTIONS = {
  dismiss: 'Dismiss: no rule broken',
  remove_content: 'Remove the content',
  suspend_user: 'Suspend the account',
} as const;

const TARGET_NAMES = { post: 'Post', comment: 'Comment', user: 'Profile', event: 'Event' } as const;

export function ReportCard({ report, back = '/moderation' }: { report: Report; back?: string }) {
  const { snapshot } = report.target;
  const actions = Object.entries(ACTIONS).filter(
    ([action]) => !(action === 'remove_content' && report.target.type === 'user'),
  );
  return (
    <li class="card report-item" id={`report-${report.id}`} data-report-id={report.id}>
      <div class="meta">
        <strong class="report-category">{categoryLabel(report.category)}</strong> ·{' '}
        {TARGET_NAMES[report.target.type]} reported by{' '}
        <a href={`/u/${report.reporter.username}`}>@{report.reporter.username}</a> ·{' '}
        <Time iso={report.createdAt} relative />
      </div>
      {report.comment ? <p class="report-comment">“{report.comment}”</p> : null}
      <blockquote class="snapshot">
        <div class="meta">
          {snapshot.author ? (
            <>
              <a href={`/u/${snapshot.author.username}`}>{snapshot.author.displayName}</a> @
              {snapshot.author.username}
            </>
          ) : (
            'Unknown author'
          )}
          {snapshot.createdAt ? (
            <>
              {' · '}
              <Time iso={snapshot.createdAt} relative />
            </>
          ) : null}
          {' · '}
          <a href={snapshot.url}>open</a>
        </div>
        {snapshot.title ? <div class="snapshot-title">{snapshot.title}</div> : null}
        <p class="body">{snapshot.text || <span class="empty">(no text)</span>}</p>
      </blockquote>
      {report.status === 'open' ? (
        <form method="post" action={`/moderation/reports/${report.id}/resolve`} class="resolve-form stack">
          <input type="hidden" name="back" value={back} />
          <fieldset class="resolve-actions">
            <legend>Decision</legend>
            {actions.map(([action, label], i) => (
              <label class="inline">
                <input type="radio" name="action" value={action} required checked={i === 0} /> {label}
              </label>
            ))}
          </fieldset>
          <label>
            Note (the reason, sent to the author on a removal or suspension)
            <textarea name="note" rows={2} data-max="1000" data-noun="Note" />
          </label>
          <div class="form-foot">
            <button type="submit">Resolve</button>
            <div class="error" role="alert" />
          </div>
        </form>
      ) : (
        <p class="meta resolution">
          Resolved: {report.action} {report.resolvedBy ? `by @${report.resolvedBy.username}` : ''}
          {report.note ? ` — ${report.note}` : ''}
        </p>
      )}
    </li>
  );
}
