// The account sections of /settings: profile, password, email and the security log. Each form posts to a
// route of its own (settings.forms.ts), so everything works without the script; with it, the counters
// run live and an over-long bio is refused before sending.
import type { Me, SecurityEvent, SecurityEventType } from '@plaza/client/protocol';
import { BIO_MAX } from '../account/account.schema.ts';
import { DISPLAY_NAME_MAX } from '../auth/auth.schema.ts';
import { deviceOf } from './components/device.ts';
import { Time } from './components/time.tsx';

const Counter = ({ max }: { max: number }) => (
  <small class="counter" aria-live="polite">
    up to {max.toLocaleString('en')} characters
  </small>
);

export function ProfileSection({ me }: { me: Me }) {
  return (
    <section id="profile" class="settings-section" aria-labelledby="profile-title">
      <h2 id="profile-title">Profile</h2>
      <form id="profile-form" class="card stack" method="post" action="/settings/profile">
        <input type="hidden" name="back" value="/settings#profile" />
        <label>
          Display name
          <input
            name="displayName"
            required
            value={me.displayName}
            data-max={String(DISPLAY_NAME_MAX)}
            data-noun="Display name"
            autocomplete="name"
          />
          <Counter max={DISPLAY_NAME_MAX} />
        </label>
        <label>
          Bio (plain text, shown on your profile)
          <textarea name="bio" rows={4} data-max={String(BIO_MAX)} data-noun="Bio">
            {me.bio}
          </textarea>
          <Counter max={BIO_MAX} />
        </label>
        <div class="error" role="alert" />
        <div>
          <button type="submit">Save profile</button>
        </div>
      </form>
    </section>
  );
}

export function PasswordSection() {
  return (
    <section id="password" class="settings-section" aria-labelledby="password-title">
      <h2 id="password-title">Password</h2>
      <form id="password-form" class="card stack" method="post" action="/settings/password">
        <input type="hidden" name="back" value="/settings#password" />
        <p class="meta">Changing it signs out every other device, and we email you that it changed.</p>
        <label>
          Current password
          <input name="currentPassword" type="password" required autocomplete="current-password" />
        </label>
        <label>
          New password (at least 8 characters)
          <input name="newPassword" type="password" required minlength={8} autocomplete="new-password" />
        </label>
        <div class="error" role="alert" />
        <div>
          <button type="submit">Change password</button>
        </div>
      </form>
    </section>
  );
}

export function EmailSection({ me }: { me: Me }) {
  return (
    <section id="email" class="settings-section" aria-labelledby="email-title">
      <h2 id="email-title">Email</h2>
      <div class="card email-card">
        <p class="meta">
          Your address is <strong class="current-email">{me.email}</strong>. To move your account to another
          one, we send a 6-digit code there; your current address is told once it changed.
        </p>
        <form id="email-form" class="stack" method="post" action="/settings/email">
          <input type="hidden" name="back" value="/settings#email" />
          <label>
            New email
            <input name="newEmail" type="email" required autocomplete="email" />
          </label>
          <label>
            Your password
            <input name="password" type="password" required autocomplete="current-password" />
          </label>
          <div class="error" role="alert" />
          <div>
            <button type="submit">Send a code</button>
          </div>
        </form>
        <form id="email-verify-form" class="stack email-verify" method="post" action="/settings/email/verify">
          <input type="hidden" name="back" value="/settings#email" />
          <p class="meta">Got the code? It works for 15 minutes.</p>
          <label>
            Code from the new address
            <input
              name="code"
              required
              inputmode="numeric"
              pattern="[0-9]{6}"
              autocomplete="one-time-code"
              placeholder="123456"
            />
          </label>
          <div class="error" role="alert" />
          <div>
            <button type="submit" class="secondary">
              Confirm the new address
            </button>
          </div>
        </form>
      </div>
    </section>
  );
}

const EVENT_WORDS: Record<SecurityEventType, string> = {
  login: 'Signed in with the password',
  login_failed: 'Wrong password entered',
  login_code: 'Signed in with an emailed code',
  password_changed: 'Password changed',
  password_reset: 'Password reset by email link',
  email_changed: 'Email address changed',
  session_revoked: 'A device was signed out',
  export_requested: 'Data export requested',
  deletion_requested: 'Account deletion requested',
};

export function SecurityLogSection({
  events,
  nextCursor,
}: {
  events: SecurityEvent[];
  nextCursor: string | null;
}) {
  return (
    <section id="security" class="settings-section" aria-labelledby="security-title">
      <h2 id="security-title">Security log</h2>
      <p class="meta">
        Sign-ins and changes to your account, newest first. A sign-in from a network you have not used in 90
        days is also emailed to you.
      </p>
      {events.length === 0 ? (
        <p class="empty">Nothing yet.</p>
      ) : (
        <ul class="list card security-log" id="security-log">
          {events.map((e) => (
            <li class={`security-event security-${e.type}`}>
              <strong>{EVENT_WORDS[e.type] ?? e.type}</strong>
              <span class="meta">
                <Time iso={e.at} /> · {deviceOf(e.userAgent)} · <span class="ip">{e.ip}</span>
              </span>
            </li>
          ))}
        </ul>
      )}
      {nextCursor ? (
        <p>
          <a href={`/settings?security=${encodeURIComponent(nextCursor)}#security`}>Older entries</a>
        </p>
      ) : null}
    </section>
  );
}
