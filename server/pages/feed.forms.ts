// The feed pages' forms without the script (formRoute: the same API route, then 303 back with a flash).
// One POST route per action, since HTML forms cannot send PUT, PATCH or DELETE.
import type { Context, Hono } from 'hono';
import type { AppEnv } from '../http/env.ts';
import { type FormFields, formRoute } from './forms.ts';
import type { PageDeps } from './page-context.ts';

const param = (c: Context<AppEnv>, name: string) => encodeURIComponent(c.req.param(name) ?? '');
const body = (fields: FormFields) => ({ body: fields.body ?? '' });

export function feedForms(pages: Hono<AppEnv>, deps: PageDeps): void {
  const asPost = { body: 'Post' };
  formRoute(pages, deps, '/posts', {
    call: (fields) => ({ method: 'POST', path: '/posts', body: body(fields) }),
    labels: asPost,
  });
  formRoute(pages, deps, '/posts/:id/edit', {
    call: (fields, c) => ({ method: 'PATCH', path: `/posts/${param(c, 'id')}`, body: body(fields) }),
    done: 'Saved.',
    labels: asPost,
  });
  // The post's page is gone afterwards: the feed, saying so.
  formRoute(pages, deps, '/posts/:id/delete', {
    call: (_fields, c) => ({ method: 'DELETE', path: `/posts/${param(c, 'id')}` }),
    done: 'Post deleted.',
    next: () => '/',
  });
  formRoute(pages, deps, '/posts/:id/comments', {
    call: (fields, c) => ({ method: 'POST', path: `/posts/${param(c, 'id')}/comments`, body: body(fields) }),
    labels: { body: 'Comment' },
  });
  formRoute(pages, deps, '/comments/:id/delete', {
    call: (_fields, c) => ({ method: 'DELETE', path: `/comments/${param(c, 'id')}` }),
    done: 'Comment deleted.',
  });
  formRoute(pages, deps, '/posts/:id/like', {
    call: (_fields, c) => ({ method: 'PUT', path: `/posts/${param(c, 'id')}/like` }),
  });
  formRoute(pages, deps, '/posts/:id/unlike', {
    call: (_fields, c) => ({ method: 'DELETE', path: `/posts/${param(c, 'id')}/like` }),
  });
  formRoute(pages, deps, '/u/:username/follow', {
    call: (_fields, c) => ({ method: 'PUT', path: `/users/${param(c, 'username')}/follow` }),
  });
  formRoute(pages, deps, '/u/:username/unfollow', {
    call: (_fields, c) => ({ method: 'DELETE', path: `/users/${param(c, 'username')}/follow` }),
  });
}
