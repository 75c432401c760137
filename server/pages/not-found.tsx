// The 404 page, in the layout.
import type { Context } from 'hono';
import type { AppEnv } from '../http/env.ts';
import { takeFlash } from './flash.ts';
import { Layout, type Viewer } from './layout.tsx';
import type { PageDeps } from './page-context.ts';

export function NotFoundPage(
  deps: PageDeps,
  c: Context<AppEnv>,
  viewer: Viewer | null,
  message = 'Page not found.',
) {
  return c.html(
    <Layout
      flash={takeFlash(c)}
      title="Not found"
      page="none"
      path={c.req.path}
      viewer={viewer}
      seq={0}
      assetUrl={deps.assetUrl}
    >
      <h1>Not found</h1>
      <p class="card">{message}</p>
    </Layout>,
    404,
  );
}
