// Users and sessions straight in the database, for tests whose subject is not the sign-up flow itself.
import { randomBytes } from 'node:crypto';
import { hash } from '@node-rs/argon2';
import type { Role } from '@plaza/client/protocol';
import { createSession } from '../../server/auth/sessions.ts';
import type { Db } from '../../server/db/database.ts';
import { newId } from '../../server/lib/ids.ts';

export const TEST_PASSWORD = 'correct horse battery';
let passwordHash: Promise<string> | null = null;

export interface TestUser {
  id: string;
  username: string;
  email: string;
  displayName: string;
  role: Role;
  /** A session token for `Authorization: Bearer` or the socket's `auth.token`. */
  token: string;
  sessionId: string;
}

export async function createUser(
  db: Db,
  overrides: {
    username?: string;
    email?: string;
    role?: Role;
    verified?: boolean;
    displayName?: string;
  } = {},
): Promise<TestUser> {
  passwordHash ??= hash(TEST_PASSWORD, { memoryCost: 19_456, timeCost: 2, parallelism: 1 });
  const username = overrides.username ?? `user_${randomBytes(5).toString('hex')}`;
  const email = overrides.email ?? `${username}@example.test`;
  const id = newId();
  const role = overrides.role ?? 'member';
  const displayName = overrides.displayName ?? username;
  await db
    .insertInto('users')
    .values({
      id,
      email,
      username,
      display_name: displayName,
      password_hash: await passwordHash,
      role,
      email_verified_at: overrides.verified === false ? null : new Date(),
    })
    .execute();
  const session = await createSession(db, id, 'test');
  return { id, username, email, displayName, role, token: session.token, sessionId: session.sessionId };
}

export const bearer = (user: { token: string }) => ({ authorization: `Bearer ${user.token}` });
