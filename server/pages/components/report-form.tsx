// "Report" under a post, a comment, an event or on a profile: a small form behind a <details>, so it stays
// out of the way until asked for, and works without the script (POST /reports, then back with a flash).
import type { ReportTargetType } from '@plaza/client/protocol';

export const REPORT_CATEGORIES = [
  { value: 'spam', label: 'Spam' },
  { value: 'harassment', label: 'Harassment' },
  { value: 'illegal', label: 'Illegal content' },
  { value: 'other', label: 'Something else' },
] as const;

const REPORT_COMMENT_MAX = 1000;

export function ReportForm({ type, id, back }: { type: ReportTargetType; id: string; back: string }) {
  return (
    <details class="confirm report">
      <summary>Report</summary>
      <form method="post" action="/reports" class="report-form stack">
        <input type="hidden" name="back" value={back} />
        <input type="hidden" name="type" value={type} />
        <input type="hidden" name="id" value={id} />
        <label>
          What is wrong?
          <select name="category" required>
            {REPORT_CATEGORIES.map((c) => (
              <option value={c.value}>{c.label}</option>
            ))}
          </select>
        </label>
        <label>
          Anything the moderators should know (optional)
          <textarea name="comment" rows={2} data-max={String(REPORT_COMMENT_MAX)} data-noun="Comment" />
          <small class="counter">up to {REPORT_COMMENT_MAX} characters</small>
        </label>
        <div class="form-foot">
          <button type="submit" class="secondary">
            Send report
          </button>
        </div>
      </form>
    </details>
  );
}
