// /settings: the signed-in person's own account, in sections (sessions now; profile, media and safety
// come as later sections). Every action is a form that works without the script (settings.forms.ts).
import type { Me, Page, SecurityEvent } from '@plaza/client/protocol';
import type { Context } from 'hono';
import type { AppEnv } from '../http/env.ts';
import { EmailSection, PasswordSection, ProfileSection, SecurityLogSection } from './account-settings.tsx';
import { AvatarSection } from './avatar-settings.tsx';
import { deviceOf } from './components/device.ts';
import { Time } from './components/time.tsx';
import { takeFlash } from './flash.ts';
import { Layout } from './layout.tsx';
import {
  DeleteAccountSection,
  ExportSection,
  loadExports,
  SuspendedSettings,
  splitFlash,
} from './lifecycle-settings.tsx';
import { loadViewer, type PageDeps } from './page-context.ts';
import { loadSafetyLists, SafetySection } from './safety-settings.tsx';

export interface SessionItem {
  id: string;
  createdAt: string;
  lastSeenAt: string;
  userAgent: string;
  current: boolean;
}

export function SessionRow({ session }: { session: SessionItem }) {
  return (
    <li class="session card" id={`session-${session.id}`} data-session={session.id}>
      <div class="session-head">
        <strong>{deviceOf(session.userAgent)}</strong>
        {session.current ? <span class="this-device">This device</span> : null}
      </div>
      <p class="meta">
        Signed in <Time iso={session.createdAt} /> · last seen <Time iso={session.lastSeenAt} relative />
      </p>
      {session.current ? null : (
        <form method="post" action={`/settings/sessions/${session.id}/revoke`} class="revoke-session">
          <input type="hidden" name="back" value="/settings#sessions" />
          <button type="submit" class="secondary">
            Sign this device out
          </button>
        </form>
      )}
    </li>
  );
}

export async function settingsPage(deps: PageDeps, c: Context<AppEnv>) {
  if (!c.var.actor) return c.redirect('/login?next=%2Fsettings', 303);
  if (c.var.actor.suspended) {
    const [viewer, exports] = await Promise.all([loadViewer(deps, c), loadExports(deps, c)]);
    return c.html(<SuspendedSettings deps={deps} c={c} viewer={viewer} exports={exports} />);
  }
  const exportsRead = loadExports(deps, c);
  const safetyRead = loadSafetyLists(deps, c);
  const securityCursor = c.req.query('security');
  const [viewer, sessions, me, security] = await Promise.all([
    loadViewer(deps, c),
    deps.callApi<{ items: SessionItem[] }>(c, '/auth/sessions'),
    deps.callApi<Me>(c, '/me'),
    deps.callApi<Page<SecurityEvent>>(
      c,
      `/me/security?limit=20${securityCursor ? `&cursor=${encodeURIComponent(securityCursor)}` : ''}`,
    ),
  ]);
  if (!viewer || sessions.status === 401 || me.status !== 200)
    return c.redirect('/login?next=%2Fsettings', 303);
  const [exports, safety] = await Promise.all([exportsRead, safetyRead]);
  const flash = splitFlash(takeFlash(c));
  const securityPage = security.status === 200 ? security.data : { items: [], nextCursor: null };
  const items = sessions.status === 200 ? sessions.data.items : [];
  const others = items.filter((s) => !s.current).length;
  return c.html(
    <Layout
      flash={flash.top}
      title="Settings"
      page="settings"
      path={c.req.path}
      viewer={viewer}
      seq={0}
      assetUrl={deps.assetUrl}
    >
      <h1>Settings</h1>
      <nav class="settings-sections" aria-label="Settings sections">
        <a href="#profile">Profile</a>
        <a href="#avatar">Picture</a>
        <a href="#password">Password</a>
        <a href="#email">Email</a>
        <a href="#sessions">Sessions</a>
        <a href="#security">Security log</a>
        <a href="#safety">Blocked and muted</a>
        <a href="#export">Export</a>
        <a href="#delete-account">Delete account</a>
      </nav>
      <ProfileSection me={me.data} />
      <AvatarSection me={me.data} />
      <PasswordSection />
      <EmailSection me={me.data} />
      <section id="sessions" class="settings-section" aria-labelledby="sessions-title">
        <h2 id="sessions-title">Where you are signed in</h2>
        <p class="meta">
          Sign out any device you do not recognise. Changing your password signs out every other device too.
        </p>
        <ul class="list" id="session-list">
          {items.map((s) => (
            <SessionRow session={s} />
          ))}
        </ul>
        {others > 0 ? (
          <form method="post" action="/settings/sessions/revoke-others" id="revoke-others">
            <input type="hidden" name="back" value="/settings#sessions" />
            <button type="submit" class="secondary">
              Sign out everywhere else
            </button>
          </form>
        ) : (
          <p class="meta" id="only-device">
            This is the only device signed in.
          </p>
        )}
      </section>
      <SecurityLogSection events={securityPage.items} nextCursor={securityPage.nextCursor} />
      <SafetySection blocks={safety.blocks} mutes={safety.mutes} />
      <ExportSection exports={exports} flash={flash.section} />
      <DeleteAccountSection flash={flash.section} />
    </Layout>,
  );
}
