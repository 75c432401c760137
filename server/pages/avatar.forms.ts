// The picture's form without the script: removing calls the API the bundle would, then 303 back.
import type { Hono } from 'hono';
import type { AppEnv } from '../http/env.ts';
import { formRoute } from './forms.ts';
import type { PageDeps } from './page-context.ts';

export function avatarForms(pages: Hono<AppEnv>, deps: PageDeps): void {
  formRoute(pages, deps, '/settings/avatar/delete', {
    call: () => ({ method: 'DELETE', path: '/me/avatar' }),
    done: 'Your picture is removed; your initials are shown instead.',
  });
}
