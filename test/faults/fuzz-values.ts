// Hostile inputs for property-based fuzzing: random JSON, wrong types, unicode, huge and negative
// numbers, missing and extra fields, injection strings — shaped like Plaza's inputs often enough to get
// past the first check and into the services.
import type { CommandName } from '@plaza/client/protocol';
import fc from 'fast-check';
import type { ErrorCode } from '../../server/lib/errors.ts';
import { errorStatus } from '../../server/lib/errors.ts';

export const INJECTIONS = [
  `<script>alert(1)</script>'; drop table users;--`,
  `' or '1'='1`,
  `"; delete from posts; --`,
  `\\x00\u0000nul`,
  '../../etc/passwd',
  // biome-ignore lint/suspicious/noTemplateCurlyInString: a template-injection probe, on purpose.
  '${7*7}{{7*7}}',
  '<img src=x onerror=alert(1)>',
  '%00%27%22',
];

const nastyString = fc.oneof(
  fc.string(),
  fc.string({ unit: 'grapheme', maxLength: 40 }),
  fc.string({ unit: 'binary', maxLength: 40 }),
  fc.constantFrom(
    ...INJECTIONS,
    '',
    ' ',
    '\u202e',
    '🙂'.repeat(3000),
    'a'.repeat(6000),
    'null',
    '-1',
    '1e309',
  ),
  fc.uuid(),
  fc.constantFrom('member', 'admin', 'moderator', 'going', 'EUR', 'feed', 'me', 'post:', 'event:x'),
);

const nastyNumber = fc.oneof(
  fc.integer(),
  fc.double({ noNaN: true, noDefaultInfinity: true }),
  fc.constantFrom(
    0,
    -1,
    1,
    2 ** 31,
    2 ** 53,
    -(2 ** 53),
    Number.MAX_SAFE_INTEGER + 2,
    1e308,
    -1e308,
    0.5,
    5e-324,
  ),
);

export const nastyValue: fc.Arbitrary<unknown> = fc.oneof(
  { weight: 4, arbitrary: nastyString },
  { weight: 3, arbitrary: nastyNumber },
  { weight: 1, arbitrary: fc.boolean() },
  { weight: 1, arbitrary: fc.constant(null) },
  { weight: 1, arbitrary: fc.array(fc.oneof(nastyString, nastyNumber), { maxLength: 5 }) },
  { weight: 1, arbitrary: fc.jsonValue({ maxDepth: 3 }) },
  { weight: 1, arbitrary: fc.constantFrom(new Date().toISOString(), '2030-01-01T00:00:00Z', 'yesterday') },
);

/** Field names Plaza's inputs use: random objects over them reach validators past "unknown key". */
const FIELDS = [
  'body',
  'title',
  'summary',
  'description',
  'location',
  'startsAt',
  'endsAt',
  'capacity',
  'priceCents',
  'reason',
  'status',
  'to',
  'amountCents',
  'memo',
  'idempotencyKey',
  'username',
  'role',
  'email',
  'password',
  'displayName',
  'captcha',
  'code',
  'token',
  'login',
  'id',
  'postId',
  'eventId',
  'topics',
  'since',
  'unread',
];

export const nastyObject: fc.Arbitrary<Record<string, unknown>> = fc.dictionary(
  fc.oneof({ weight: 5, arbitrary: fc.constantFrom(...FIELDS) }, { weight: 1, arbitrary: fc.string() }),
  nastyValue,
  { maxKeys: 8 },
);

/** A request or command payload: mostly objects of plausible fields, sometimes anything at all. */
export const nastyPayload: fc.Arbitrary<unknown> = fc.oneof(
  { weight: 6, arbitrary: nastyObject },
  { weight: 2, arbitrary: fc.jsonValue({ maxDepth: 4 }) },
  { weight: 1, arbitrary: nastyValue },
);

/** A path segment in place of `:id` / `:username`. */
export const nastySegment: fc.Arbitrary<string> = fc.oneof(
  fc.uuid(),
  fc.constantFrom('0', '-1', '1e309', '99999999999999999999', 'null', 'me', '%', '..', ' ', 'admin'),
  fc.stringMatching(/^[a-z0-9_]{1,40}$/),
  fc.string({ minLength: 1, maxLength: 60 }),
  fc.constantFrom(...INJECTIONS),
);

export const nastyQuery: fc.Arbitrary<Record<string, string>> = fc.dictionary(
  fc.constantFrom('limit', 'cursor', 'unread', 'q', 'since', 'limit[]'),
  fc.oneof(
    fc.constantFrom('-1', '0', '101', '1e309', 'abc', 'true', '', '20', 'eyJ4IjoxfQ', '%%%'),
    fc.string({ maxLength: 80 }),
  ),
  { maxKeys: 3 },
);

const CODES = new Set(Object.keys(errorStatus));

/** The contract's error body, exactly: `{ error: { code, message, details? } }` with a known code. */
export function contractErrorProblem(body: unknown, status?: number): string | null {
  if (typeof body !== 'object' || body === null) return `not an object: ${JSON.stringify(body)}`;
  const keys = Object.keys(body);
  if (keys.length !== 1 || keys[0] !== 'error') return `keys ${keys.join(',')}`;
  const error = (body as { error: unknown }).error;
  if (typeof error !== 'object' || error === null) return 'error is not an object';
  const e = error as Record<string, unknown>;
  if (typeof e.code !== 'string' || !CODES.has(e.code)) return `unknown code ${String(e.code)}`;
  if (typeof e.message !== 'string' || e.message.length === 0) return 'no message';
  const extra = Object.keys(e).filter((k) => !['code', 'message', 'details'].includes(k));
  if (extra.length > 0) return `extra keys ${extra.join(',')}`;
  if ('details' in e && (typeof e.details !== 'object' || e.details === null || Array.isArray(e.details)))
    return 'details is not an object';
  if (status !== undefined && errorStatus[e.code as ErrorCode] !== status)
    return `code ${e.code} with status ${status}`;
  return null;
}

/** Every socket command of the contract; the type check below fails when one is added and not fuzzed. */
export const COMMAND_NAMES = [
  'subscribe',
  'unsubscribe',
  'resume',
  'presence',
  'post:create',
  'post:update',
  'post:delete',
  'comment:create',
  'comment:delete',
  'post:like',
  'post:unlike',
  'user:follow',
  'user:unfollow',
  'user:block',
  'user:unblock',
  'user:mute',
  'user:unmute',
  'event:join',
  'event:leave',
  'transfer:create',
  'notification:read',
  'report:create',
] as const satisfies readonly CommandName[];
type Unfuzzed = Exclude<CommandName, (typeof COMMAND_NAMES)[number]>;
export const allCommandsFuzzed: [Unfuzzed] extends [never] ? true : Unfuzzed = true;
