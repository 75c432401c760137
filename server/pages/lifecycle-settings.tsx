// The /settings sections of the account's life: "Export your data" (ask, the archives with their status
// and download links) and "Delete account" (what goes, what stays, when it is refused). Both are forms
// posting to lifecycle.forms.ts, so they work without the script. Also the page a suspended account gets
// instead of the full settings, and the page after a deletion.
import type { Context } from 'hono';
import { EXPORT_INTERVAL_MS } from '../account/export.ts';
import type { AppEnv } from '../http/env.ts';
import { Time } from './components/time.tsx';
import { type Flash, takeFlash } from './flash.ts';
import { Layout, type Viewer } from './layout.tsx';
import { loadViewer, type PageDeps } from './page-context.ts';

/** An archive as GET /me/exports lists it (lifecycle.routes.ts ExportSchema). */
export interface ExportItem {
  id: string;
  status: 'pending' | 'ready' | 'failed';
  bytes: number | null;
  createdAt: string;
  readyAt: string | null;
  expiresAt: string;
  downloadUrl: string | null;
}

/**
 * The viewer's archives, newest first; none when the API would not say. Never rejects: it is read beside
 * the page's other reads, and the page may answer (a redirect) without waiting for it.
 */
export async function loadExports(deps: PageDeps, c: Context<AppEnv>): Promise<ExportItem[]> {
  const res = await deps.callApi<ExportItem[]>(c, '/me/exports').catch(() => null);
  return res?.status === 200 && Array.isArray(res.data) ? res.data : [];
}

const SECTIONS = ['export', 'delete-account'];

/**
 * Splits the page's flash: one from these sections' forms shows in its section (the form's redirect scrolls
 * there, past the top of the page), any other at the top as usual.
 */
export function splitFlash(flash: Flash | null): { top: Flash | null; section: Flash | null } {
  return flash?.anchor && SECTIONS.includes(flash.anchor)
    ? { top: null, section: flash }
    : { top: flash, section: null };
}

/** A flash inside its section, as the layout draws one at the top. */
function SectionFlash({ flash, anchor }: { flash: Flash | null | undefined; anchor: string }) {
  if (!flash || flash.anchor !== anchor) return null;
  return (
    <p class={`flash ${flash.kind}`} role={flash.kind === 'error' ? 'alert' : 'status'}>
      {flash.text}
      {flash.link ? (
        <>
          {' '}
          <a href={flash.link.href}>{flash.link.label}</a>
        </>
      ) : null}
    </p>
  );
}

const sizeFormat = new Intl.NumberFormat('en', { maximumFractionDigits: 1 });
function sizeOf(bytes: number): string {
  if (bytes < 1024) return `${bytes} bytes`;
  if (bytes < 1024 * 1024) return `${sizeFormat.format(bytes / 1024)} KB`;
  return `${sizeFormat.format(bytes / (1024 * 1024))} MB`;
}

function ExportRow({ item }: { item: ExportItem }) {
  return (
    <li class="export-item card" data-export={item.id} data-status={item.status}>
      <div>
        <strong>
          Asked <Time iso={item.createdAt} relative />
        </strong>
        <p class="meta">
          {item.status === 'pending'
            ? 'Being built. We notify and email you when it is ready; reload this page to see it here.'
            : item.status === 'failed'
              ? 'Could not be built. Ask for a new one (once the day is over), or try again later.'
              : [
                  'Ready',
                  item.bytes === null ? null : ` · ${sizeOf(item.bytes)}`,
                  ' · can be downloaded until ',
                  <Time iso={item.expiresAt} />,
                ]}
        </p>
      </div>
      {item.status === 'ready' && item.downloadUrl ? (
        <a class="button secondary download" href={item.downloadUrl} download>
          Download
        </a>
      ) : null}
    </li>
  );
}

export function ExportSection({ exports, flash }: { exports: ExportItem[]; flash?: Flash | null }) {
  const newest = exports[0];
  const nextAt = newest ? new Date(Date.parse(newest.createdAt) + EXPORT_INTERVAL_MS) : null;
  const waiting = nextAt !== null && nextAt.getTime() > Date.now();
  return (
    <section id="export" class="settings-section" aria-labelledby="export-title">
      <h2 id="export-title">Export your data</h2>
      <SectionFlash flash={flash} anchor="export" />
      <div class="card stack lifecycle-card">
        <p>
          A ZIP of your profile, posts, comments, likes, follows, the events you organised and joined, your
          transfers, notifications, sessions and security log, with the pictures you uploaded.
        </p>
        <p class="meta">
          One export a day. It is built in the background: you get a notification and an email with the link
          when it is ready. Each archive can be downloaded for 7 days, then it is deleted.
        </p>
        <form method="post" action="/settings/export" id="export-form">
          <input type="hidden" name="back" value="/settings#export" />
          <button type="submit" disabled={waiting}>
            Ask for an export
          </button>
          {waiting && nextAt ? (
            <p class="meta" id="export-next">
              You asked in the last 24 hours; you can ask again <Time iso={nextAt.toISOString()} />.
            </p>
          ) : null}
        </form>
      </div>
      {exports.length > 0 ? (
        <ul class="list" id="export-list">
          {exports.map((item) => (
            <ExportRow item={item} />
          ))}
        </ul>
      ) : (
        <p class="meta" id="no-exports">
          No exports in the last 7 days.
        </p>
      )}
    </section>
  );
}

/** `suspended`: the refusals are said as what they are to an account that can act on none of them. */
export function DeleteAccountSection({
  flash,
  suspended = false,
}: {
  flash?: Flash | null;
  suspended?: boolean;
}) {
  return (
    <section id="delete-account" class="settings-section" aria-labelledby="delete-title">
      <h2 id="delete-title">Delete account</h2>
      <SectionFlash flash={flash} anchor="delete-account" />
      <form
        method="post"
        action="/settings/delete-account"
        id="delete-form"
        class="card stack lifecycle-card danger-zone"
      >
        <input type="hidden" name="back" value="/settings#delete-account" />
        <p>
          <strong>This cannot be undone.</strong> You are signed out everywhere at once. Deleted: your profile
          (name, bio, picture, email address), posts, comments, likes, follows, your places at events,
          notifications and uploaded pictures.
        </p>
        <p>
          Kept: your wallet history. Transfers you made or received stay in the other person's history under a
          name like <code>deleted-123</code>, with no email. Your username is never given to anyone else.
        </p>
        <p class="meta">Export your data first if you want a copy. Deletion is refused while:</p>
        {suspended ? (
          // None of these can be changed from a suspended account (every route for it answers 403).
          <>
            <ul class="meta refusal-list">
              <li>your wallet holds money (or money is held for you);</li>
              <li>a transfer of yours is still pending (it settles on its own);</li>
              <li>you organise upcoming events that people joined;</li>
              <li>you hold tickets to upcoming events.</li>
            </ul>
            <p class="meta" id="suspended-refusals">
              A suspended account cannot send money, cancel events or leave them: if one of these applies,
              deletion waits until a moderator lifts the suspension.
            </p>
          </>
        ) : (
          <ul class="meta refusal-list">
            <li>
              your <a href="/wallet">wallet</a> holds money (or money is held for you): send or spend it
              first;
            </li>
            <li>a transfer of yours is still pending: wait until it settles;</li>
            <li>
              you organise upcoming <a href="/events">events</a> that people joined: cancel them first;
            </li>
            <li>you hold tickets to upcoming events: leave them first (the refund goes to your wallet).</li>
          </ul>
        )}
        <label>
          Your password, to confirm
          <input name="password" type="password" required autocomplete="current-password" />
        </label>
        <div>
          <button type="submit" class="danger">
            Delete my account
          </button>
        </div>
      </form>
    </section>
  );
}

/** /settings for a suspended account: only what it may still do (auth/suspended.ts). */
export function SuspendedSettings(props: {
  deps: PageDeps;
  c: Context<AppEnv>;
  viewer: Viewer | null;
  exports: ExportItem[];
}) {
  const flash = splitFlash(takeFlash(props.c));
  return (
    <Layout
      flash={flash.top}
      title="Settings"
      // Not "settings": the bundle opens no live connection, which a suspended account is refused.
      page="settings-suspended"
      path={props.c.req.path}
      viewer={props.viewer}
      seq={0}
      assetUrl={props.deps.assetUrl}
    >
      <h1>Settings</h1>
      <p class="card suspended-notice" id="suspended-notice">
        Your account is suspended: you cannot post, comment, send money, follow people or join events. You can
        still export your data, delete your account, or log out.
      </p>
      <ExportSection exports={props.exports} flash={flash.section} />
      <DeleteAccountSection flash={flash.section} suspended />
    </Layout>
  );
}

/** Where a deletion ends: signed out, told what happens next. */
export async function accountDeletedPage(deps: PageDeps, c: Context<AppEnv>) {
  const viewer = await loadViewer(deps, c);
  return c.html(
    <Layout
      flash={takeFlash(c)}
      title="Account deleted"
      page="none"
      path={c.req.path}
      viewer={viewer}
      seq={0}
      assetUrl={deps.assetUrl}
    >
      <section class="card stack" id="account-deleted">
        <h1>Your account is being deleted</h1>
        <p>
          You are signed out on every device. Your posts, comments, likes, follows and pictures are being
          removed now; this can take a few minutes. Your wallet history stays, under a pseudonymous name.
        </p>
        <p class="meta">
          <a href="/">Back to the feed</a>
        </p>
      </section>
    </Layout>,
  );
}
