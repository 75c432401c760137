// The account forms' POST routes. The forms post (never GET: a password must not land in a URL, a log or a
// history) even when the script has not loaded. Behind the CAPTCHA (login, sign-up, login code, forgotten
// password) a post without a solved challenge cannot go on: the page comes back saying why. Verifying an
// email, a login code and a password reset need no CAPTCHA and work without the script.
import type { Context, Hono } from 'hono';
import type { AppEnv } from '../http/env.ts';
import { setFlash } from './flash.ts';
import { backOf, type FormFields, formRoute } from './forms.ts';
import type { PageDeps } from './page-context.ts';
import { refusalOf } from './refusals.ts';
import { safeNext } from './safe-next.ts';

// Short: the page's own <noscript> notice (account.pages.tsx) explains the rest.
const SCRIPT_NEEDED = 'Not sent: the anti-abuse check needs JavaScript, and it did not run in this browser.';

async function fieldsOf(c: Context<AppEnv>): Promise<FormFields> {
  const body = await c.req.parseBody();
  const fields: FormFields = {};
  for (const [name, value] of Object.entries(body)) if (typeof value === 'string') fields[name] = value;
  return fields;
}

const nextOf = (c: Context<AppEnv>, fields: FormFields) => safeNext(fields.next, new URL(c.req.url).origin);

/** One API call for a form that signs in or starts something; the page again with a flash when refused. */
async function send(
  deps: PageDeps,
  c: Context<AppEnv>,
  fields: FormFields,
  path: string,
  body: unknown,
  then: { next: string; done?: string },
) {
  const back = backOf(c, fields);
  const result = await deps.sendApi(c, 'POST', path, body);
  if (result.status >= 200 && result.status < 300) {
    if (then.done) setFlash(c, { kind: 'ok', text: then.done });
    return c.redirect(then.next, 303);
  }
  const refusal = refusalOf(result.status, result.data, back);
  setFlash(c, { kind: 'error', text: refusal.text, ...(refusal.link ? { link: refusal.link } : {}) });
  return c.redirect(back, 303);
}

/** Without a solved CAPTCHA nothing is sent on: the same page, saying JavaScript is needed. */
function scriptNeeded(c: Context<AppEnv>, fields: FormFields) {
  setFlash(c, { kind: 'error', text: SCRIPT_NEEDED });
  return c.redirect(backOf(c, fields), 303);
}

export function accountForms(pages: Hono<AppEnv>, deps: PageDeps): void {
  pages.post('/login', async (c) => {
    const fields = await fieldsOf(c);
    if (!fields.captcha) return scriptNeeded(c, fields);
    const { login = '', password = '', captcha } = fields;
    return send(deps, c, fields, '/auth/login', { login, password, captcha }, { next: nextOf(c, fields) });
  });

  pages.post('/login-code', async (c) => {
    const fields = await fieldsOf(c);
    const email = (fields.email ?? '').trim();
    if (fields.code) {
      return send(
        deps,
        c,
        fields,
        '/auth/login-code/verify',
        { email, code: fields.code.trim() },
        {
          next: nextOf(c, fields),
        },
      );
    }
    if (!fields.captcha) return scriptNeeded(c, fields);
    return send(
      deps,
      c,
      fields,
      '/auth/login-code',
      { email, captcha: fields.captcha },
      { next: backOf(c, fields), done: `If ${email} has an account, a code is on its way.` },
    );
  });

  pages.post('/register', async (c) => {
    const fields = await fieldsOf(c);
    if (!fields.captcha) return scriptNeeded(c, fields);
    const email = (fields.email ?? '').trim();
    const body = {
      email,
      username: (fields.username ?? '').trim(),
      password: fields.password ?? '',
      captcha: fields.captcha,
      ...(fields.displayName?.trim() ? { displayName: fields.displayName.trim() } : {}),
    };
    return send(deps, c, fields, '/auth/register', body, {
      next: `/verify?email=${encodeURIComponent(email)}`,
    });
  });

  pages.post('/forgot-password', async (c) => {
    const fields = await fieldsOf(c);
    if (!fields.captcha) return scriptNeeded(c, fields);
    const email = (fields.email ?? '').trim();
    return send(
      deps,
      c,
      fields,
      '/auth/password/forgot',
      { email, captcha: fields.captcha },
      { next: '/reset-password', done: `If ${email} has an account, a reset link is on its way.` },
    );
  });

  // The verify API sets the session cookie; formRoute passes it on with the redirect.
  formRoute(pages, deps, '/verify', {
    call: (f) => ({
      method: 'POST',
      path: '/auth/verify-email',
      body: { email: (f.email ?? '').trim(), code: (f.code ?? '').trim() },
    }),
    done: 'Your email is verified. Welcome to Plaza!',
    next: () => '/',
  });
  formRoute(pages, deps, '/verify/resend', {
    call: (f) => ({
      method: 'POST',
      path: '/auth/verify-email/resend',
      body: { email: (f.email ?? '').trim() },
    }),
    done: 'A new code is on its way.',
    next: (_data, f) => `/verify?email=${encodeURIComponent((f.email ?? '').trim())}`,
  });
  formRoute(pages, deps, '/reset-password', {
    call: (f) => ({
      method: 'POST',
      path: '/auth/password/reset',
      body: { token: f.token ?? '', password: f.password ?? '' },
    }),
    done: 'Your password is changed. You can log in now.',
    next: () => '/login',
  });

  // Log out without the script; already signed out is as good as done.
  pages.post('/logout', async (c) => {
    const result = await deps.sendApi(c, 'POST', '/auth/logout');
    if (result.status < 300 || result.status === 401) {
      setFlash(c, { kind: 'ok', text: 'You are signed out.' });
    } else {
      const refusal = refusalOf(result.status, result.data, '/');
      setFlash(c, { kind: 'error', text: refusal.text });
    }
    return c.redirect('/', 303);
  });
}
