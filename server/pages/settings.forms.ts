// The /settings forms without the script: each calls the API the bundle would, then 303 back.
import type { Hono } from 'hono';
import type { AppEnv } from '../http/env.ts';
import { avatarForms } from './avatar.forms.ts';
import { setFlash } from './flash.ts';
import { formRoute } from './forms.ts';
import { lifecycleForms } from './lifecycle.forms.ts';
import type { PageDeps } from './page-context.ts';
import { refusalOf } from './refusals.ts';

export function settingsForms(pages: Hono<AppEnv>, deps: PageDeps): void {
  accountSettingsForms(pages, deps);
  avatarForms(pages, deps);
  lifecycleForms(pages, deps);

  formRoute(pages, deps, '/settings/sessions/:id/revoke', {
    call: (_fields, c) => ({
      method: 'DELETE',
      path: `/auth/sessions/${encodeURIComponent(c.req.param('id') ?? '')}`,
    }),
    done: 'That device is signed out.',
  });

  // The API revokes one session per call: list them, then each one but this device's.
  pages.post('/settings/sessions/revoke-others', async (c) => {
    const list = await deps.callApi<{ items: Array<{ id: string; current: boolean }> }>(c, '/auth/sessions');
    if (list.status !== 200) {
      const refusal = refusalOf(list.status, list.data, '/settings');
      setFlash(c, { kind: 'error', text: refusal.text, ...(refusal.link ? { link: refusal.link } : {}) });
      return c.redirect(list.status === 401 && refusal.link ? refusal.link.href : '/settings', 303);
    }
    let failed = 0;
    for (const session of list.data.items.filter((s) => !s.current)) {
      const result = await deps.sendApi(c, 'DELETE', `/auth/sessions/${encodeURIComponent(session.id)}`);
      // Already gone (revoked elsewhere meanwhile) is as good as done.
      if (result.status >= 300 && result.status !== 404) failed += 1;
    }
    setFlash(
      c,
      failed
        ? { kind: 'error', text: `${failed} device(s) could not be signed out. Please try again.` }
        : { kind: 'ok', text: 'Every other device is signed out.' },
    );
    return c.redirect('/settings#sessions', 303);
  });
}

/** Profile, password and email: one API call each (account/account.routes.ts). */
function accountSettingsForms(pages: Hono<AppEnv>, deps: PageDeps): void {
  formRoute(pages, deps, '/settings/profile', {
    call: (fields) => ({
      method: 'PATCH',
      path: '/me',
      body: { displayName: fields.displayName ?? '', bio: fields.bio ?? '' },
    }),
    done: 'Your profile is saved.',
    labels: { displayName: 'Display name', bio: 'Bio' },
  });
  formRoute(pages, deps, '/settings/password', {
    call: (fields) => ({
      method: 'POST',
      path: '/me/password',
      body: { currentPassword: fields.currentPassword ?? '', newPassword: fields.newPassword ?? '' },
    }),
    done: 'Your password is changed, and every other device is signed out.',
    labels: { currentPassword: 'Current password', newPassword: 'New password' },
  });
  formRoute(pages, deps, '/settings/email', {
    call: (fields) => ({
      method: 'POST',
      path: '/me/email',
      body: { newEmail: fields.newEmail ?? '', password: fields.password ?? '' },
    }),
    // The same words whether or not the address has an account: the API does not say, nor do we.
    done: 'Check the new address: its 6-digit code goes there (if that address already has an account, it is told instead). Enter the code below.',
    labels: { newEmail: 'New email' },
  });
  formRoute(pages, deps, '/settings/email/verify', {
    call: (fields) => ({ method: 'POST', path: '/me/email/verify', body: { code: fields.code ?? '' } }),
    done: (data) => `Your email address is now ${(data as { email?: string }).email ?? 'changed'}.`,
  });
}
