// The API's refusals in words a person can act on: what happened and what to do next. Used by the form
// routes (no script) and by the bundle, so both say the same.

export interface Refusal {
  text: string;
  link?: { href: string; label: string };
}

export interface ApiErrorBody {
  error: { code: string; message: string; details?: Record<string, unknown> };
}

export const isApiError = (data: unknown): data is ApiErrorBody =>
  typeof data === 'object' &&
  data !== null &&
  typeof (data as ApiErrorBody).error === 'object' &&
  typeof (data as ApiErrorBody).error?.code === 'string';

/** "30 seconds", "2 minutes", "1 hour". */
export function waitText(ms: number): string {
  const seconds = Math.max(1, Math.ceil(ms / 1000));
  if (seconds < 60) return `${seconds} second${seconds === 1 ? '' : 's'}`;
  const minutes = Math.ceil(seconds / 60);
  if (minutes < 60) return `${minutes} minute${minutes === 1 ? '' : 's'}`;
  const hours = Math.ceil(minutes / 60);
  return `${hours} hour${hours === 1 ? '' : 's'}`;
}

/** The first validation issue as a sentence: "Title: at most 120 characters" rather than the validator's words. */
function validationText(
  details: Record<string, unknown> | undefined,
  message: string,
  labels?: Record<string, string>,
): string {
  const issues = details?.issues;
  if (!Array.isArray(issues) || issues.length === 0) return message;
  const first = issues[0] as { path?: unknown; message?: unknown };
  const field = typeof first.path === 'string' && first.path ? first.path : '';
  const raw = typeof first.message === 'string' ? first.message : message;
  const tooBig = /<=\s*(\d+)/.exec(raw);
  const tooSmall = />=\s*(\d+)/.exec(raw);
  const said = tooBig
    ? `at most ${tooBig[1]} characters`
    : tooSmall
      ? `at least ${tooSmall[1]} characters`
      : raw.replace(/^Invalid input: /, '');
  const name = field.split('.').pop() ?? '';
  const label = labels?.[name] ?? `${name.charAt(0).toUpperCase()}${name.slice(1)}`;
  return name ? `${label}: ${said}` : said;
}

/** `labels` names fields as the page does ("body" is the "Post" on a composer). */
export function refusalOf(
  status: number,
  body: unknown,
  here = '/',
  labels?: Record<string, string>,
): Refusal {
  if (!isApiError(body)) {
    return status === 503
      ? { text: 'Plaza cannot reach its database right now. Please try again in a moment.' }
      : { text: 'Something went wrong on our side. Please try again.' };
  }
  const { code, message, details } = body.error;
  switch (code) {
    case 'rate_limited': {
      const ms = typeof details?.retryAfterMs === 'number' ? details.retryAfterMs : 60_000;
      return { text: `Too many in a row. Try again in ${waitText(ms)}.` };
    }
    case 'unauthenticated':
      return {
        text: 'You are signed out (perhaps in another tab).',
        link: { href: `/login?next=${encodeURIComponent(here)}`, label: 'Sign in again' },
      };
    case 'email_not_verified': {
      // A sign-in with the right password learns the address (details.email): the page comes prefilled.
      const email = typeof details?.email === 'string' ? details.email : '';
      const href = email ? `/verify?email=${encodeURIComponent(email)}` : '/verify';
      return { text: 'Verify your email first.', link: { href, label: 'Enter your code' } };
    }
    case 'validation_failed':
      return { text: validationText(details, message, labels) };
    case 'unavailable':
      return { text: 'Plaza cannot reach its database right now. Please try again in a moment.' };
    case 'internal':
      return { text: 'Something went wrong on our side. Please try again.' };
    default:
      return { text: message };
  }
}
