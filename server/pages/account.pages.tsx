// Sign-up, verification, login (password or emailed code) and password reset pages. The forms work
// through the bundle: the CAPTCHA is proof-of-work solved in the browser by the ALTCHA widget.
import type { Context } from 'hono';
import type { Child } from 'hono/jsx';
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
      <form id="login-form" class="card stack" data-next={next}>
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
      <form id="code-form" class="card stack" data-next={next}>
        <h2>Or get a one-time code by email</h2>
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
      <p>
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
      <form id="register-form" class="card stack">
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
          <input name="displayName" maxlength={60} autocomplete="name" />
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
      <p>
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
      <form id="verify-form" class="card stack">
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
          <button type="button" class="secondary" id="resend">
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
        <form id="reset-form" class="card stack" data-token={token}>
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
        <form id="forgot-form" class="card stack">
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
