// Helpers for feed tests against real server processes: REST calls by URL and event-log reads.
import type { Post } from '@plaza/client/protocol';
import { sql } from 'kysely';
import type { Db } from '../../server/db/database.ts';
import { bearer, type TestUser } from '../helpers/factories.ts';
import { waitFor } from '../helpers/wait.ts';

export async function rest<T>(
  baseUrl: string,
  method: string,
  path: string,
  user: TestUser | null,
  body?: unknown,
): Promise<[number, T]> {
  const res = await fetch(`${baseUrl}/api/v1${path}`, {
    method,
    headers: {
      ...(user ? bearer(user) : {}),
      ...(body === undefined ? {} : { 'content-type': 'application/json' }),
    },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await res.text();
  return [res.status, (text ? JSON.parse(text) : null) as T];
}

export async function writePost(baseUrl: string, user: TestUser, body: string): Promise<Post> {
  const [status, post] = await rest<Post>(baseUrl, 'POST', '/posts', user, { body });
  if (status !== 201) throw new Error(`POST /posts answered ${status}: ${JSON.stringify(post)}`);
  return post;
}

export interface LoggedEvent {
  seq: number;
  type: string;
  topic: string;
  rooms: string[];
}

/** Relayed events after `since` that target any of `rooms`, in seq order. */
export async function loggedEvents(db: Db, rooms: string[], since = 0): Promise<LoggedEvent[]> {
  const { rows } = await sql<LoggedEvent>`
    select seq, type, topic, rooms from event_log
    where seq is not null and seq > ${since} and rooms && ${sql.val(rooms)}::text[]
    order by seq`.execute(db);
  return rows;
}

/**
 * The seq of the newest event once every event logged so far has one: the relay assigns seqs after the
 * commit, so a write made just before would otherwise land after the returned seq (seen under load).
 */
export async function newestSeq(db: Db): Promise<number> {
  const newest = await waitFor(
    async () => {
      const { rows } = await sql<{ seq: number; unassigned: boolean }>`
        select coalesce(max(seq), 0) as seq, exists (select 1 from event_log where seq is null) as unassigned
        from event_log`.execute(db);
      const row = rows[0];
      return row && !row.unassigned ? { seq: Number(row.seq) } : null;
    },
    { what: 'every logged event to have its seq' },
  );
  return newest.seq;
}
