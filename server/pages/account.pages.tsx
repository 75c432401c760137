// Sign-up, verification, login (password or emailed code) and password reset pages. Every form posts
// (account.forms.ts), so nothing typed ever lands in a URL even before the script runs. The forms behind
// the CAPTCHA (proof-of-work solved in the browser by the ALTCHA widget) need the script and say so;
// verifying an email and choosing a new password work without it.
import type { Context } from 'hono';
import type { Child } from 'hono/jsx';
import { DISPLAY_NAME_MAX } from '../auth/auth.schema.ts';
import type { AppEnv } from '../http/env.ts';
import { takeFlash } from './flash.ts';
import { Layout } from './layout.tsx';
import type { PageDeps } from './page-context.ts';
import { safeNext } from './safe-next.ts';

function Captcha({ deps }: { deps: PageDeps }) {
  return (
    <altcha-widget
      challengeurl="/api/v1/auth/captcha"
      workerurl={deps.assetUrl('altcha-worker.js')}
      name="captcha"
      auto="onload"
      hidefooter
      hidelogo
    />
  );
}

/** Said on the page when scripts are off: the CAPTCHA is solved by the script, so these forms need it. */
export const ScriptNeeded = ({ what }: { what: string }) => (
  <noscript>
    <p class="flash error script-needed">
      {what} needs JavaScript for the anti-abuse check (a small puzzle your browser solves instead of a
      picture test). Turn JavaScript on for this site and reload the page: until then this form cannot go
      through.
    </p>
  </noscript>
);

/** Where the form route sends the person back to when the page must be shown again. */
const Back = ({ c }: { c: Context<AppEnv> }) => {
  const url = new URL(c.req.url);
  return <input type="hidden" name="back" value={`${url.pathname}${url.search}`} />;
};

const page = (deps: PageDeps, c: Context<AppEnv>, title: string, name: string, body: Child) =>
  c.html(
    <Layout
      flash={takeFlash(c)}
      title={title}
      page={name}
      path={c.req.path}
      viewer={null}
      seq={0}
      assetUrl={deps.assetUrl}
    >
      {body}
    </Layout>,
  );

export const loginPage = (deps: PageDeps, c: Context<AppEnv>) => {
  // The forms carry where to go once signed in, checked here so that no page points off our origin.
  const next = safeNext(c.req.query('next'), new URL(c.req.url).origin);
  return page(
    deps,
    c,
    'Log in',
    'login',
    <>
      <h1>Log in</h1>
      <ScriptNeeded what="Signing in" />
      <form id="login-form" class="card stack" method="post" action="/login" data-next={next}>
        <Back c={c} />
        <input type="hidden" name="next" value={next} />
        <label>
          Email or username
          <input name="login" required autocomplete="username" />
        </label>
        <label>
          Password
          <input name="password" type="password" required autocomplete="current-password" />
        </label>
        <Captcha deps={deps} />
        <div class="error" role="alert" />
        <div>
          <button type="submit">Log in</button>
        </div>
      </form>
      <form id="code-form" class="card stack" method="post" action="/login-code" data-next={next}>
        <h2>Or get a one-time code by email</h2>
        <Back c={c} />
        <input type="hidden" name="next" value={next} />
        <label>
          Email
          <input name="email" type="email" required autocomplete="email" />
        </label>
        <Captcha deps={deps} />
        <label class="code-step" hidden>
          Code from the email
          <input name="code" inputmode="numeric" pattern="[0-9]{6}" autocomplete="one-time-code" />
        </label>
        <div class="error" role="alert" />
        <div class="notice" role="status" />
        <div>
          <button type="submit">Send me a code</button>
        </div>
      </form>
      <p class="account-links">
        <a href="/reset-password">Forgot your password?</a> · <a href="/register">Create an account</a>
      </p>
    </>,
  );
};

export const registerPage = (deps: PageDeps, c: Context<AppEnv>) =>
  page(
    deps,
    c,
    'Sign up',
    'register',
    <>
      <h1>Create your account</h1>
      <ScriptNeeded what="Signing up" />
      <form id="register-form" class="card stack" method="post" action="/register">
        <Back c={c} />
        <label>
          Email
          <input name="email" type="email" required autocomplete="email" />
        </label>
        <label>
          Username (3–30 letters, digits, _)
          <input name="username" required pattern="[A-Za-z0-9_]{3,30}" autocomplete="username" />
        </label>
        <label>
          Display name
          <input
            name="displayName"
            data-max={String(DISPLAY_NAME_MAX)}
            data-noun="Display name"
            autocomplete="name"
          />
          <small class="counter">up to {DISPLAY_NAME_MAX} characters</small>
        </label>
        <label>
          Password (at least 8 characters)
          <input name="password" type="password" required minlength={8} autocomplete="new-password" />
        </label>
        <Captcha deps={deps} />
        <div class="error" role="alert" />
        <div>
          <button type="submit">Sign up</button>
        </div>
      </form>
      <p class="account-links">
        Already have an account? <a href="/login">Log in</a>
      </p>
    </>,
  );

export const verifyPage = (deps: PageDeps, c: Context<AppEnv>) =>
  page(
    deps,
    c,
    'Verify your email',
    'verify',
    <>
      <h1>Check your email</h1>
      <form id="verify-form" class="card stack" method="post" action="/verify">
        <Back c={c} />
        <p>We sent a 6-digit code. Enter it to finish signing up.</p>
        <label>
          Email
          <input name="email" type="email" required value={c.req.query('email') ?? ''} />
        </label>
        <label>
          Code
          <input name="code" required inputmode="numeric" pattern="[0-9]{6}" autocomplete="one-time-code" />
        </label>
        <div class="error" role="alert" />
        <div class="notice" role="status" />
        <div class="actions">
          <button type="submit">Verify</button>
          <button type="submit" class="secondary" id="resend" formaction="/verify/resend" formnovalidate>
            Send a new code
          </button>
        </div>
      </form>
    </>,
  );

export const resetPasswordPage = (deps: PageDeps, c: Context<AppEnv>) => {
  const token = c.req.query('token');
  return page(
    deps,
    c,
    'Reset your password',
    'reset-password',
    token ? (
      <>
        <h1>Choose a new password</h1>
        <form id="reset-form" class="card stack" method="post" action="/reset-password" data-token={token}>
          <Back c={c} />
          <input type="hidden" name="token" value={token} />
          <label>
            New password
            <input name="password" type="password" required minlength={8} autocomplete="new-password" />
          </label>
          <div class="error" role="alert" />
          <div class="notice" role="status" />
          <div>
            <button type="submit">Save password</button>
          </div>
        </form>
      </>
    ) : (
      <>
        <h1>Reset your password</h1>
        <ScriptNeeded what="Asking for a reset link" />
        <form id="forgot-form" class="card stack" method="post" action="/forgot-password">
          <Back c={c} />
          <label>
            Email
            <input name="email" type="email" required autocomplete="email" />
          </label>
          <Captcha deps={deps} />
          <div class="error" role="alert" />
          <div class="notice" role="status" />
          <div>
            <button type="submit">Email me a link</button>
          </div>
        </form>
      </>
    ),
  );
};
