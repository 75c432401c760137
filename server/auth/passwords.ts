// Password hashing: argon2id (the library's default algorithm) at OWASP's minimum parameters.
import {
  PasswordHasher,
  type PasswordHasherOptions,
  PasswordHasherUnavailableError,
} from './password-hasher.ts';

/** OWASP Password Storage Cheat Sheet: 19 MiB, 2 iterations, 1 lane (≈ 12 ms here). */
const ARGON2_OPTIONS = { memoryCost: 19_456, timeCost: 2, parallelism: 1 } as const;

/**
 * A hash of a password nobody knows, at the same parameters: verifying against it for an unknown
 * user costs what a real verification costs, so timing does not tell which accounts exist.
 */
const DUMMY_HASH =
  '$argon2id$v=19$m=19456,t=2,p=1$11g8joILMEX9HeU/2gfrWw$tQ3e17U627RcUiIZSlvsP4iODxQdsZVrLxQZnMw4dF8';

// One pool per process; its threads start on first use, as most processes (workers, the CLI) never hash.
let hasher = new PasswordHasher();

/** A server's settings for the pool, at start-up (before any hashing): the previous pool's threads end. */
export function configurePasswordHashing(options: PasswordHasherOptions): Promise<void> {
  const previous = hasher;
  hasher = new PasswordHasher(options);
  return previous.close();
}

/** Ends the pool's threads, at shutdown; a later hash starts them again. */
export const closePasswordHashing = (): Promise<void> => hasher.close();

export const hashPassword = (password: string): Promise<string> => hasher.hash(password, ARGON2_OPTIONS);

/** True when `password` matches `passwordHash`; with no hash (unknown user) does the same work and says false. */
export async function verifyPassword(passwordHash: string | null, password: string): Promise<boolean> {
  try {
    const matches = await hasher.verify(passwordHash ?? DUMMY_HASH, password);
    return passwordHash !== null && matches;
  } catch (error) {
    // A lost thread says nothing about the password: telling the user it is wrong would be a lie.
    if (error instanceof PasswordHasherUnavailableError) throw error;
    // A malformed stored hash is a failed login, not a 500 that reveals the account exists.
    return false;
  }
}
