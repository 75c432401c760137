// Wallet and notification writes without the script: each form posts here and the same API route does it.
import type { Hono } from 'hono';
import type { AppEnv } from '../http/env.ts';
import { toCents } from './components/event-fields.ts';
import { type ApiCall, formRoute } from './forms.ts';
import type { PageDeps } from './page-context.ts';
import { safeNext } from './safe-next.ts';

const notificationPath = (id: string | undefined) => `/notifications/${encodeURIComponent(id ?? '')}`;

// Only the shape of the target matters to safeNext (a path of ours, nothing that leaves the site).
const ANY_ORIGIN = 'http://plaza.invalid';

export function walletForms(pages: Hono<AppEnv>, deps: PageDeps): void {
  formRoute(pages, deps, '/wallet/transfer', {
    // The key was drawn when the page was rendered: the same form posted twice is the same transfer.
    call: (fields): ApiCall => {
      const cents = toCents(fields.amount ?? '', deps.currency);
      return {
        method: 'POST',
        path: '/transfers',
        body: {
          to: fields.to ?? '',
          amountCents: Number.isNaN(cents) ? (fields.amount ?? '') : cents,
          ...(fields.memo ? { memo: fields.memo } : {}),
        },
        headers: fields.idempotencyKey ? { 'Idempotency-Key': fields.idempotencyKey } : undefined,
      };
    },
    done: 'Sent. It shows as completed once the money has moved.',
  });
  formRoute(pages, deps, '/notifications/read-all', {
    call: () => ({ method: 'POST', path: '/notifications/read-all' }),
  });
  formRoute(pages, deps, '/notifications/:id/read', {
    call: (_fields, c) => ({ method: 'POST', path: `${notificationPath(c.req.param('id'))}/read` }),
  });
  // Following a notification marks it read, then goes where it points (only ever a path of ours).
  formRoute(pages, deps, '/notifications/:id/open', {
    call: (_fields, c) => ({ method: 'POST', path: `${notificationPath(c.req.param('id'))}/read` }),
    next: (_data, fields) => safeNext(fields.url, ANY_ORIGIN),
  });
}
