// Environment → typed, validated, frozen configuration. Read once at start-up.
import path from 'node:path';
import { z } from 'zod';

const DEV_CAPTCHA_KEY = 'plaza-dev-captcha-key-not-for-production';

export const DEFAULT_DATABASE_URL = 'postgres://postgres@127.0.0.1:5432/plaza';
export const DEFAULT_REDIS_URL = 'redis://127.0.0.1:6379';
/** DATABASE_URL / REDIS_URL value asking `npm start` for a private PostgreSQL / Redis under DATA_DIR. */
const EMBEDDED = 'embedded';

/**
 * Where a URL came from: `set` (use it, or fail saying so), `unset` (the default address, and with
 * `npm start` an embedded service when nothing answers there), `embedded` (`npm start` runs one).
 */
export type ServiceSource = 'set' | 'unset' | 'embedded';

/**
 * Secrets that were ever published (the development key, compose.yaml's and .env.example's defaults,
 * the examples in deploy/k8s) are known to everyone: production refuses them, and any `change me`.
 */
const PUBLISHED_SECRETS = new Set([
  DEV_CAPTCHA_KEY,
  'local-compose-key-change-me-0123456789',
  'plaza',
  'postgres',
  'password',
  'secret',
]);
const isPlaceholder = (value: string) =>
  PUBLISHED_SECRETS.has(value.toLowerCase()) || /change[\s_-]*me/i.test(value);
/** HMAC-SHA256 keys shorter than its 32-byte output weaken it; `openssl rand -base64 32` gives 44 characters. */
const MIN_PRODUCTION_KEY_BYTES = 32;

/** Problems with the secrets of a production configuration: none may be a published placeholder. */
function productionSecretProblems(e: { CAPTCHA_HMAC_KEY?: string } & Record<string, unknown>): string[] {
  const problems: string[] = [];
  const key = e.CAPTCHA_HMAC_KEY;
  if (key && (isPlaceholder(key) || Buffer.byteLength(key) < MIN_PRODUCTION_KEY_BYTES)) {
    problems.push(
      `CAPTCHA_HMAC_KEY: a published placeholder or shorter than ${MIN_PRODUCTION_KEY_BYTES} bytes; generate one: openssl rand -base64 32`,
    );
  }
  const s3Secret = e.S3_SECRET_ACCESS_KEY;
  if (typeof s3Secret === 'string' && isPlaceholder(s3Secret)) {
    problems.push('S3_SECRET_ACCESS_KEY: a published placeholder; set the real one');
  }
  for (const name of ['DATABASE_URL', 'REDIS_URL', 'SMTP_URL']) {
    const value = e[name];
    if (typeof value !== 'string' || value === EMBEDDED) continue;
    const raw = new URL(value).password;
    let password = raw;
    try {
      password = decodeURIComponent(raw);
    } catch {
      // A malformed escape is the driver's to refuse; judge the password as written.
    }
    if (password && isPlaceholder(password)) {
      problems.push(`${name}: its password is a published placeholder; set the real one`);
    }
  }
  return problems;
}

const bool = z
  .enum(['true', 'false', '1', '0', 'yes', 'no', ''])
  .transform((v) => v === 'true' || v === '1' || v === 'yes');

const isUrl = (value: string, protocols: string[]) => {
  try {
    return protocols.includes(new URL(value).protocol);
  } catch {
    return false;
  }
};

const url = (protocols: string[]) =>
  z.string().refine((value) => isUrl(value, protocols), {
    message: `must be a URL with protocol ${protocols.join(' or ')}`,
  });

/** A service's URL, or `embedded`. */
const serviceUrl = (protocols: string[]) =>
  z.string().refine((value) => value === EMBEDDED || isUrl(value, protocols), {
    message: `must be a URL with protocol ${protocols.join(' or ')}, or \`embedded\``,
  });

const int = (min: number, max: number) => z.coerce.number().int().min(min).max(max);

const schema = z.object({
  NODE_ENV: z.enum(['development', 'production', 'test']).default('development'),
  HOST: z.string().min(1).default('0.0.0.0'),
  PORT: int(0, 65535).default(3000),
  PUBLIC_URL: url(['http:', 'https:']).default('http://localhost:3000'),
  DATABASE_URL: serviceUrl(['postgres:', 'postgresql:']).optional(),
  DATABASE_POOL_SIZE: int(1, 200).default(10),
  REDIS_URL: serviceUrl(['redis:', 'rediss:']).optional(),
  DATA_DIR: z.string().min(1).default('./data'),
  REDIS_PREFIX: z
    .string()
    .regex(/^[A-Za-z0-9_.:-]{1,64}$/, 'must be 1..64 of letters, digits, _ . : -')
    .default('plaza'),
  SMTP_URL: url(['smtp:', 'smtps:']).optional(),
  MAIL_FROM: z.string().min(3).default('Plaza <no-reply@localhost>'),
  CAPTCHA_HMAC_KEY: z.string().min(16, 'must be at least 16 characters').optional(),
  CAPTCHA_MAX_NUMBER: int(10, 10_000_000).default(100_000),
  REMINDER_LEAD_MINUTES: int(0, 7 * 24 * 60).default(60),
  /** Participants reminded per transaction by an event's reminder job (events.reminder-fanout.ts). */
  REMINDER_CHUNK: int(1, 50_000).default(5_000),
  EVENT_LOG_RETENTION_HOURS: int(1, 24 * 365).default(24),
  CURRENCY: z
    .string()
    .regex(/^[A-Z]{3}$/, 'must be an ISO 4217 code such as EUR')
    .default('EUR'),
  TRUST_PROXY: bool.default(false),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  SHUTDOWN_TIMEOUT_MS: int(100, 120_000).default(10_000),
  WORKERS_METRICS_PORT: int(0, 65535).default(9091),
  POSTS_PER_MINUTE: int(1, 1_000_000).default(30),
  COMMENTS_PER_MINUTE: int(1, 1_000_000).default(60),
  LIKES_PER_MINUTE: int(1, 1_000_000).default(300),
  TRANSFERS_PER_MINUTE: int(1, 1_000_000).default(30),
  EVENT_JOINS_PER_MINUTE: int(1, 1_000_000).default(30),
  EVENTS_PER_HOUR: int(1, 1_000_000).default(20),
  SESSION_CACHE_SECONDS: int(0, 300).default(30),
  PASSWORD_HASH_THREADS: int(1, 256).optional(),
  SOCKETS_PER_ADDRESS: int(1, 1_000_000).default(50),
  PRESENCE: bool.default(true),
  INSTANCE_NAME: z.string().trim().min(1).max(100).default('Plaza'),
  STORAGE: z.enum(['local', 's3']).default('local'),
  MEDIA_DIR: z.string().min(1).optional(),
  S3_ENDPOINT: url(['http:', 'https:']).optional(),
  S3_REGION: z.string().min(1).default('us-east-1'),
  S3_BUCKET: z.string().min(1).optional(),
  S3_ACCESS_KEY_ID: z.string().min(1).optional(),
  S3_SECRET_ACCESS_KEY: z.string().min(1).optional(),
  S3_FORCE_PATH_STYLE: bool.default(false),
  S3_PUBLIC_ENDPOINT: url(['http:', 'https:']).optional(),
  MEDIA_PUBLIC_URL: url(['http:', 'https:']).optional(),
  MEDIA_MAX_BYTES: int(1024, 1024 * 1024 * 1024).default(10 * 1024 * 1024),
  MEDIA_MAX_PIXELS: int(1, 1_000_000_000).default(40_000_000),
  MEDIA_UPLOADS_PER_HOUR: int(1, 1_000_000).default(60),
});

type Env = z.infer<typeof schema>;

export interface Config {
  readonly env: Env['NODE_ENV'];
  readonly host: string;
  readonly port: number;
  readonly publicUrl: URL;
  /** The URL to use; with `databaseSource` `embedded` (`npm start` only), replaced once the service runs. */
  readonly databaseUrl: string;
  readonly databaseSource: ServiceSource;
  readonly databasePoolSize: number;
  readonly redisUrl: string;
  readonly redisSource: ServiceSource;
  /** Absolute; the embedded services' data (`postgres/`, `redis/`) and their logs. */
  readonly dataDir: string;
  readonly redisPrefix: string;
  readonly smtpUrl: string | undefined;
  readonly mailFrom: string;
  readonly captchaHmacKey: string;
  readonly captchaMaxNumber: number;
  readonly reminderLeadMinutes: number;
  readonly reminderChunk: number;
  readonly eventLogRetentionHours: number;
  readonly currency: string;
  readonly trustProxy: boolean;
  readonly logLevel: Env['LOG_LEVEL'];
  readonly shutdownTimeoutMs: number;
  /** The workers process's GET /metrics and /health port (0: any free port, logged). */
  readonly workersMetricsPort: number;
  /** Write limits per user (posts, comments, likes and unlikes). */
  readonly postsPerMinute: number;
  readonly commentsPerMinute: number;
  readonly likesPerMinute: number;
  /** Transfers one user may request per minute (REST and socket together). */
  readonly transfersPerMinute: number;
  /** Joins and leaves one user may request per minute (REST and socket together); a paid join is also a transfer. */
  readonly eventJoinsPerMinute: number;
  /** Events one user may create per hour. */
  readonly eventsPerHour: number;
  /** How long an instance may serve a validated session from memory (0: never); revocations clear it at once. */
  readonly sessionCacheSeconds: number;
  /** Low-priority threads hashing passwords (undefined: one per available CPU). */
  readonly passwordHashThreads: number | undefined;
  /** Open sockets one client address (IPv4 address, IPv6 /64) may hold across all instances. */
  readonly socketsPerAddress: number;
  /** Who watches the feed, a post, an event (API.md "Presence"); off: not counted, the command answers zeros. */
  readonly presence: boolean;
  readonly media: MediaConfig;
  /** What `GET /instance` and the pages call this deployment. */
  readonly instanceName: string;
}

/** Where media live and how large they may be (API.md "Media"). */
export interface MediaConfig {
  readonly storage: 'local' | 's3';
  /** Absolute; the local store's files (`STORAGE=local`). */
  readonly dir: string;
  /** Prefix of every public object's URL (keys start `media/`), ending in `/`: `MEDIA_PUBLIC_URL` or `PUBLIC_URL`. */
  readonly publicUrl: string;
  readonly s3:
    | {
        readonly endpoint: string | undefined;
        readonly region: string;
        readonly bucket: string;
        readonly accessKeyId: string | undefined;
        readonly secretAccessKey: string | undefined;
        readonly forcePathStyle: boolean;
        /**
         * Where clients reach the store when S3_ENDPOINT is an internal address (MinIO behind the same
         * proxy): presigned URLs are signed for S3_ENDPOINT and handed out under this prefix; the proxy
         * forwards them to S3_ENDPOINT with its Host. Unset: S3_ENDPOINT itself.
         */
        readonly publicEndpoint: string | undefined;
      }
    | undefined;
  readonly maxBytes: number;
  readonly maxPixels: number;
  readonly uploadsPerHour: number;
}

export class ConfigError extends Error {
  readonly problems: string[];

  constructor(problems: string[]) {
    super(`Invalid configuration:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
    this.problems = problems;
    this.name = 'ConfigError';
  }
}

const sourceOf = (value: string | undefined): ServiceSource =>
  value === undefined ? 'unset' : value === EMBEDDED ? 'embedded' : 'set';

export interface LoadOptions {
  /** Only `npm start` runs embedded services; a server or workers process needs real URLs. */
  allowEmbedded?: boolean;
}

/** Parses the environment; throws one ConfigError naming every bad variable. */
export function loadConfig(
  source: Record<string, string | undefined> = process.env,
  options: LoadOptions = {},
): Config {
  // An empty variable means "unset", as in most twelve-factor tooling.
  const env = Object.fromEntries(
    Object.entries(source).filter(([key, value]) => key in schema.shape && value !== ''),
  );
  const parsed = schema.safeParse(env);
  if (!parsed.success) {
    throw new ConfigError(
      parsed.error.issues.map((issue) => `${issue.path.join('.') || '(environment)'}: ${issue.message}`),
    );
  }
  const e = parsed.data;
  const problems: string[] = [];
  if (e.NODE_ENV === 'production' && !e.CAPTCHA_HMAC_KEY) {
    problems.push('CAPTCHA_HMAC_KEY: required when NODE_ENV=production');
  }
  if (e.NODE_ENV === 'production') problems.push(...productionSecretProblems(e));
  // Without it, mail (sign-in codes, reset links) would go to the log instead of to its recipients.
  if (e.NODE_ENV === 'production' && !e.SMTP_URL) {
    problems.push('SMTP_URL: required when NODE_ENV=production');
  }
  for (const [name, value] of [
    ['DATABASE_URL', e.DATABASE_URL],
    ['REDIS_URL', e.REDIS_URL],
  ] as const) {
    if (value === EMBEDDED && !options.allowEmbedded) {
      problems.push(
        `${name}: \`embedded\` is run by \`npm start\` (which passes the resulting URL on); a server or workers process needs a URL`,
      );
    }
  }
  if (e.STORAGE === 's3') {
    for (const name of ['S3_BUCKET', 'MEDIA_PUBLIC_URL'] as const) {
      if (!e[name]) problems.push(`${name}: required when STORAGE=s3`);
    }
    if (!e.S3_ACCESS_KEY_ID !== !e.S3_SECRET_ACCESS_KEY) {
      problems.push(
        'S3_ACCESS_KEY_ID and S3_SECRET_ACCESS_KEY: set both, or neither (the SDK finds credentials)',
      );
    }
    if (e.S3_PUBLIC_ENDPOINT && (!e.S3_ENDPOINT || !e.S3_FORCE_PATH_STYLE)) {
      problems.push(
        'S3_PUBLIC_ENDPOINT: needs S3_ENDPOINT (the address it stands for) and S3_FORCE_PATH_STYLE=true',
      );
    }
  }
  if (problems.length > 0) throw new ConfigError(problems);
  const dataDir = path.resolve(e.DATA_DIR);
  const publicUrl = new URL(e.PUBLIC_URL);

  return Object.freeze({
    env: e.NODE_ENV,
    host: e.HOST,
    port: e.PORT,
    publicUrl,
    databaseUrl:
      e.DATABASE_URL === undefined || e.DATABASE_URL === EMBEDDED ? DEFAULT_DATABASE_URL : e.DATABASE_URL,
    databaseSource: sourceOf(e.DATABASE_URL),
    databasePoolSize: e.DATABASE_POOL_SIZE,
    redisUrl: e.REDIS_URL === undefined || e.REDIS_URL === EMBEDDED ? DEFAULT_REDIS_URL : e.REDIS_URL,
    redisSource: sourceOf(e.REDIS_URL),
    dataDir,
    redisPrefix: e.REDIS_PREFIX,
    smtpUrl: e.SMTP_URL,
    mailFrom: e.MAIL_FROM,
    captchaHmacKey: e.CAPTCHA_HMAC_KEY ?? DEV_CAPTCHA_KEY,
    captchaMaxNumber: e.CAPTCHA_MAX_NUMBER,
    reminderLeadMinutes: e.REMINDER_LEAD_MINUTES,
    reminderChunk: e.REMINDER_CHUNK,
    eventLogRetentionHours: e.EVENT_LOG_RETENTION_HOURS,
    currency: e.CURRENCY,
    trustProxy: e.TRUST_PROXY,
    logLevel: e.LOG_LEVEL,
    shutdownTimeoutMs: e.SHUTDOWN_TIMEOUT_MS,
    workersMetricsPort: e.WORKERS_METRICS_PORT,
    postsPerMinute: e.POSTS_PER_MINUTE,
    commentsPerMinute: e.COMMENTS_PER_MINUTE,
    likesPerMinute: e.LIKES_PER_MINUTE,
    transfersPerMinute: e.TRANSFERS_PER_MINUTE,
    eventJoinsPerMinute: e.EVENT_JOINS_PER_MINUTE,
    eventsPerHour: e.EVENTS_PER_HOUR,
    sessionCacheSeconds: e.SESSION_CACHE_SECONDS,
    passwordHashThreads: e.PASSWORD_HASH_THREADS,
    socketsPerAddress: e.SOCKETS_PER_ADDRESS,
    presence: e.PRESENCE,
    instanceName: e.INSTANCE_NAME,
    media: Object.freeze({
      storage: e.STORAGE,
      dir: path.resolve(e.MEDIA_DIR ?? path.join(dataDir, 'media')),
      publicUrl: withSlash(e.MEDIA_PUBLIC_URL ?? new URL('/', publicUrl).href),
      s3:
        e.STORAGE === 's3'
          ? Object.freeze({
              endpoint: e.S3_ENDPOINT,
              region: e.S3_REGION,
              bucket: e.S3_BUCKET as string,
              accessKeyId: e.S3_ACCESS_KEY_ID,
              secretAccessKey: e.S3_SECRET_ACCESS_KEY,
              forcePathStyle: e.S3_FORCE_PATH_STYLE,
              publicEndpoint: e.S3_PUBLIC_ENDPOINT,
            })
          : undefined,
      maxBytes: e.MEDIA_MAX_BYTES,
      maxPixels: e.MEDIA_MAX_PIXELS,
      uploadsPerHour: e.MEDIA_UPLOADS_PER_HOUR,
    }),
  });
}

const withSlash = (url: string) => (url.endsWith('/') ? url : `${url}/`);

/** For entry points: load the config or print every problem and exit 1. */
export function loadConfigOrExit(options: LoadOptions = {}): Config {
  try {
    return loadConfig(process.env, options);
  } catch (error) {
    if (error instanceof ConfigError) {
      process.stderr.write(`${error.message}\n`);
      process.exit(1);
    }
    throw error;
  }
}
