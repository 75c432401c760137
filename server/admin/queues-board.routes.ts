// Bull Board (the BullMQ dashboard) at /admin/queues, for admins only: every queue of the job map,
// with retry and clean actions. Its UI assets are served from node_modules/@bull-board/ui.
import { createBullBoard } from '@bull-board/api';
import { BullMQAdapter } from '@bull-board/api/bullMQAdapter';
import { HonoAdapter } from '@bull-board/hono';
import { serveStatic } from '@hono/node-server/serve-static';
import { Hono } from 'hono';
import { requireRole } from '../auth/session.middleware.ts';
import type { AppEnv } from '../http/env.ts';
import { QUEUE_NAMES, type Queues } from '../jobs/queues.ts';

export const QUEUES_BOARD_PATH = '/admin/queues';

export function queuesBoardRoutes(queues: Queues): Hono<AppEnv> {
  const serverAdapter = new HonoAdapter(serveStatic).setBasePath(QUEUES_BOARD_PATH);
  createBullBoard({
    queues: QUEUE_NAMES.map((name) => new BullMQAdapter(queues.get(name))),
    serverAdapter,
    options: { uiConfig: { boardTitle: 'Plaza queues' } },
  });
  // The guard comes first, so the dashboard, its API and its assets all need an admin session.
  return new Hono<AppEnv>().use('*', requireRole('admin')).route('/', serverAdapter.registerPlugin());
}
