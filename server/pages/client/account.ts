// Sign-up, verification, login and password reset forms, through the SDK. After signing in the
// server has set the session cookie, so every page and the live connection know the viewer.

import { safeNext } from '../safe-next.ts';
import { captchaOf, resetCaptcha } from './captcha.ts';
import type { PageContext } from './context.ts';
import { $, onSubmit, showError } from './dom.ts';

const field = (data: FormData, name: string) => String(data.get(name) ?? '').trim();
/** Where the server's page says to go after signing in (`?next=`, already checked), checked again here. */
const next = (form: HTMLFormElement) => safeNext(form.dataset.next, location.origin);
const notice = (form: HTMLFormElement, text: string) => {
  const el = $('.notice', form);
  if (el) el.textContent = text;
};

/** Runs a CAPTCHA-protected call; a used or failed solution is replaced by a fresh one. */
async function withCaptcha<T>(form: HTMLFormElement, call: (captcha: string) => Promise<T>): Promise<T> {
  try {
    return await call(await captchaOf(form));
  } finally {
    resetCaptcha(form);
  }
}

export function loginPage(ctx: PageContext): void {
  const form = $<HTMLFormElement>('#login-form')!;
  onSubmit(form, async (data) => {
    await withCaptcha(form, (captcha) =>
      ctx.client.auth.login({
        login: field(data, 'login'),
        password: String(data.get('password') ?? ''),
        captcha,
      }),
    );
    location.href = next(form);
  });

  const codeForm = $<HTMLFormElement>('#code-form')!;
  const codeStep = $('.code-step', codeForm)!;
  onSubmit(codeForm, async (data) => {
    const email = field(data, 'email');
    if (codeStep.hidden) {
      await withCaptcha(codeForm, (captcha) => ctx.client.auth.requestLoginCode(email, captcha));
      codeStep.hidden = false;
      $<HTMLButtonElement>('button[type="submit"]', codeForm)!.textContent = 'Log in with the code';
      notice(codeForm, `If ${email} has an account, a code is on its way.`);
      return;
    }
    await ctx.client.auth.verifyLoginCode(email, field(data, 'code'));
    location.href = next(codeForm);
  });
}

export function registerPage(ctx: PageContext): void {
  const form = $<HTMLFormElement>('#register-form')!;
  onSubmit(form, async (data) => {
    const email = field(data, 'email');
    await withCaptcha(form, (captcha) =>
      ctx.client.auth.register({
        email,
        username: field(data, 'username'),
        displayName: field(data, 'displayName') || undefined,
        password: String(data.get('password') ?? ''),
        captcha,
      }),
    );
    location.href = `/verify?email=${encodeURIComponent(email)}`;
  });
}

export function verifyPage(ctx: PageContext): void {
  const form = $<HTMLFormElement>('#verify-form')!;
  onSubmit(form, async (data) => {
    await ctx.client.auth.verifyEmail(field(data, 'email'), field(data, 'code'));
    location.href = '/';
  });
  $('#resend')?.addEventListener('click', (event) => {
    // A submit button to /verify/resend for the page without the script; here the SDK sends it.
    event.preventDefault();
    const email = field(new FormData(form), 'email');
    void ctx.client.auth
      .resendVerification(email)
      .then(() => notice(form, 'A new code is on its way.'))
      .catch((error: unknown) => {
        const el = $('.error', form);
        if (el) showError(el, error);
      });
  });
}

export function resetPasswordPage(ctx: PageContext): void {
  const forgot = $<HTMLFormElement>('#forgot-form');
  if (forgot) {
    onSubmit(forgot, async (data) => {
      const email = field(data, 'email');
      await withCaptcha(forgot, (captcha) => ctx.client.auth.forgotPassword(email, captcha));
      notice(forgot, `If ${email} has an account, a reset link is on its way.`);
    });
  }
  const reset = $<HTMLFormElement>('#reset-form');
  if (reset) {
    onSubmit(reset, async (data) => {
      await ctx.client.auth.resetPassword(reset.dataset.token ?? '', String(data.get('password') ?? ''));
      notice(reset, 'Your password is changed. You can log in now.');
      setTimeout(() => {
        location.href = '/login';
      }, 800);
    });
  }
}
