// The /settings forms of the account's life, without the script: ask for an export, delete the account.
// Each calls the API the SDK would (POST /me/export, DELETE /me) and answers 303 with a flash; a deletion
// ends signed out on /account-deleted.
import type { Context, Hono } from 'hono';
import { clearSessionCookie } from '../auth/session.middleware.ts';
import type { AppEnv } from '../http/env.ts';
import { type Flash, setFlash } from './flash.ts';
import { backOf, type FormFields } from './forms.ts';
import type { PageDeps } from './page-context.ts';
import { isApiError, refusalOf, waitText } from './refusals.ts';

async function fieldsOf(c: Context<AppEnv>): Promise<FormFields> {
  const body = await c.req.parseBody();
  const fields: FormFields = {};
  for (const [name, value] of Object.entries(body)) if (typeof value === 'string') fields[name] = value;
  return fields;
}

const lowerFirst = (text: string) => `${text.charAt(0).toLowerCase()}${text.slice(1)}`;

/** Where a refused deletion's reason points to fix it (deletion.ts DeletionRefusal). */
const FIX: Record<string, Flash['link']> = {
  wallet: { href: '/wallet', label: 'Open your wallet' },
  pending_transfers: { href: '/wallet', label: 'See your transfers' },
  events: { href: '/events', label: 'See events' },
  tickets: { href: '/events', label: 'See events' },
};

/** A refusal as a flash, with the API's own words for what blocks and a link to fix it when there is one. */
function refusalFlash(status: number, data: unknown, here: string, anchor: string): Flash {
  const refusal = refusalOf(status, data, here);
  return { kind: 'error', text: refusal.text, anchor, ...(refusal.link ? { link: refusal.link } : {}) };
}

export function lifecycleForms(pages: Hono<AppEnv>, deps: PageDeps): void {
  pages.post('/settings/export', async (c) => {
    const fields = await fieldsOf(c);
    const back = backOf(c, fields);
    const result = await deps.sendApi(c, 'POST', '/me/export');
    if (result.status === 202) {
      setFlash(c, {
        kind: 'ok',
        anchor: 'export',
        text: 'Your export is being built. You will get a notification and an email with the link when it is ready.',
      });
    } else if (result.status === 429 && isApiError(result.data)) {
      const ms = result.data.error.details?.retryAfterMs;
      setFlash(c, {
        kind: 'error',
        anchor: 'export',
        text: `You can ask for one export a day: try again in ${waitText(typeof ms === 'number' ? ms : 86_400_000)}. Your last archive is listed below.`,
      });
    } else {
      const flash = refusalFlash(result.status, result.data, back, 'export');
      setFlash(c, flash);
      if (result.status === 401 && flash.link) return c.redirect(flash.link.href, 303);
    }
    return c.redirect(back, 303);
  });

  pages.post('/settings/delete-account', async (c) => {
    const fields = await fieldsOf(c);
    const back = backOf(c, fields);
    const result = await deps.sendApi(c, 'DELETE', '/me', { password: fields.password ?? '' });
    if (result.status === 202) {
      // The API revoked every session; the cookie goes too, so this browser is plainly signed out.
      clearSessionCookie(c);
      return c.redirect('/account-deleted', 303);
    }
    if (result.status === 409 && isApiError(result.data)) {
      const reason = String(result.data.error.details?.reason ?? '');
      const link = FIX[reason];
      setFlash(c, {
        kind: 'error',
        anchor: 'delete-account',
        text: `Your account was not deleted. ${result.data.error.message}.`,
        ...(link ? { link } : {}),
      });
    } else if (result.status === 403 && isApiError(result.data) && !result.data.error.details?.suspended) {
      setFlash(c, {
        kind: 'error',
        anchor: 'delete-account',
        text: `Your account was not deleted: ${lowerFirst(result.data.error.message.replace(/^The current password/, 'The password'))}.`,
      });
    } else {
      const flash = refusalFlash(result.status, result.data, back, 'delete-account');
      setFlash(c, flash);
      if (result.status === 401 && flash.link) return c.redirect(flash.link.href, 303);
    }
    return c.redirect(back, 303);
  });
}
