// /settings "Blocked and muted": whom the person blocks and mutes (until when), each undone by a form that
// works without the script (the profile's own /u/:username/unblock|unmute routes, coming back here).
import type { Page, User } from '@plaza/client/protocol';
import type { Context } from 'hono';
import type { AppEnv } from '../http/env.ts';
import { Avatar } from './components/avatar.tsx';
import { Time } from './components/time.tsx';
import type { PageDeps } from './page-context.ts';

export type MutedUser = User & { expiresAt: string | null };

/** The section shows this many of each; more than a person manages by hand. */
const SHOWN = 100;

export async function loadSafetyLists(
  deps: PageDeps,
  c: Context<AppEnv>,
): Promise<{ blocks: Page<User> | null; mutes: Page<MutedUser> | null }> {
  const [blocks, mutes] = await Promise.all([
    deps.callApi<Page<User>>(c, `/me/blocks?limit=${SHOWN}`),
    deps.callApi<Page<MutedUser>>(c, `/me/mutes?limit=${SHOWN}`),
  ]);
  return {
    blocks: blocks.status === 200 ? blocks.data : null,
    mutes: mutes.status === 200 ? mutes.data : null,
  };
}

function UndoForm({ user, action, label }: { user: User; action: 'unblock' | 'unmute'; label: string }) {
  return (
    <form method="post" action={`/u/${encodeURIComponent(user.username)}/${action}`} class="undo-safety">
      <input type="hidden" name="back" value="/settings#safety" />
      <button type="submit" class="secondary">
        {label}
      </button>
    </form>
  );
}

function Person({ user, detail, action }: { user: User; detail?: unknown; action: unknown }) {
  return (
    <li class="safety-person">
      <Avatar user={user} size="small" />
      <span class="who">
        <a href={`/u/${encodeURIComponent(user.username)}`}>{user.displayName}</a>{' '}
        <span class="meta">@{user.username}</span>
        {detail}
      </span>
      {action}
    </li>
  );
}

export function SafetySection({
  blocks,
  mutes,
}: {
  blocks: Page<User> | null;
  mutes: Page<MutedUser> | null;
}) {
  return (
    <section id="safety" class="settings-section" aria-labelledby="safety-title">
      <h2 id="safety-title">Blocked and muted</h2>
      <p class="meta">
        Block or mute someone from their profile. Blocking hides each of you from the other and ends follows
        both ways; muting only hides their posts, comments and notifications from you, and they are not told.
      </p>
      <h3>Blocked</h3>
      {blocks === null ? (
        <p class="error">Your blocks could not be loaded; reload the page to try again.</p>
      ) : blocks.items.length === 0 ? (
        <p class="empty" id="no-blocks">
          You have not blocked anyone.
        </p>
      ) : (
        <ul class="list card safety-list" id="block-list">
          {blocks.items.map((user) => (
            <Person user={user} action={<UndoForm user={user} action="unblock" label="Unblock" />} />
          ))}
        </ul>
      )}
      <h3>Muted</h3>
      {mutes === null ? (
        <p class="error">Your mutes could not be loaded; reload the page to try again.</p>
      ) : mutes.items.length === 0 ? (
        <p class="empty" id="no-mutes">
          You have not muted anyone.
        </p>
      ) : (
        <ul class="list card safety-list" id="mute-list">
          {mutes.items.map((user) => (
            <Person
              user={user}
              detail={
                <span class="meta until">
                  {user.expiresAt ? (
                    <>
                      muted until <Time iso={user.expiresAt} />
                    </>
                  ) : (
                    'muted until you unmute'
                  )}
                </span>
              }
              action={<UndoForm user={user} action="unmute" label="Unmute" />}
            />
          ))}
        </ul>
      )}
    </section>
  );
}
