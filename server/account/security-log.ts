// The security log (API.md "Profiles and account self-service"): what happened to an account and from
// where. Each entry is written in the transaction of the action it records, so the log never claims an
// action that rolled back, nor misses one that committed.
import type { Page, SecurityEvent } from '@plaza/client/protocol';
import type { Executor } from '../db/database.ts';
import type { SecurityEventType } from '../db/schema.ts';
import { canonicalAddress } from '../http/client-ip.ts';
import { newId } from '../lib/ids.ts';
import { type PageQuery, toPage } from '../lib/pagination.ts';
import { decodeTimeCursor, timeKeyOf } from '../lib/time-cursor.ts';

export type { SecurityEventType };

export interface SecurityEventInput {
  userId: string;
  type: SecurityEventType;
  ip: string;
  userAgent: string;
}

/**
 * The network a sign-in alert compares: an IPv4 /16 or an IPv6 /48 (API.md), wider than the lockout's
 * /24 and /64 since a phone or a home line moves within its provider's block from day to day.
 */
export function signInNetworkOf(ip: string): string {
  const address = canonicalAddress(ip);
  if (address.includes('.')) return `${address.split('.').slice(0, 2).join('.')}.0.0/16`;
  if (address.includes(':')) return `${address.split(':').slice(0, 3).join(':')}::/48`;
  return 'unknown';
}

/** Appends one entry; pass the action's transaction (a failed login, which has none, passes the pool). */
export async function recordSecurityEvent(db: Executor, input: SecurityEventInput): Promise<Date> {
  const at = new Date();
  await db
    .insertInto('security_events')
    .values({
      id: newId(),
      user_id: input.userId,
      type: input.type,
      ip: input.ip.slice(0, 100),
      user_agent: input.userAgent.slice(0, 300),
      network: signInNetworkOf(input.ip),
      created_at: at,
    })
    .execute();
  return at;
}

/** `GET /me/security`: newest first, keyset-paged like every list. */
export async function listSecurityEvents(
  db: Executor,
  userId: string,
  query: PageQuery,
): Promise<Page<SecurityEvent>> {
  const after = decodeTimeCursor(query.cursor);
  let select = db
    .selectFrom('security_events')
    .select(['id', 'type', 'ip', 'user_agent', 'created_at'])
    .where('user_id', '=', userId);
  if (after)
    select = select.where((eb) => eb(eb.refTuple('created_at', 'id'), '<', eb.tuple(after.at, after.id)));
  const rows = await select
    .orderBy('created_at', 'desc')
    .orderBy('id', 'desc')
    .limit(query.limit + 1)
    .execute();
  return toPage(
    rows,
    query.limit,
    (row) => ({ type: row.type, at: row.created_at.toISOString(), ip: row.ip, userAgent: row.user_agent }),
    (row) => timeKeyOf(row.created_at, row.id),
  );
}
