import { hkdfSync } from 'node:crypto';
import { z } from 'zod';
import { hasInvisibleCharacters, hasReservedEmailDomain, normalizeEmail, type DataKey } from '@app/common';
import type { AppConfig } from './app-config.js';
import { PROJECT, type ProjectIdentity } from './project.js';
import { secretWeaknesses, type PublishedSecret } from './secret-strength.js';
import { MIN_TRUSTED_PREFIX, parseTrustProxy, tooWideTrustedRanges, TRUST_PROXY_SAFE_FORMS } from './trust-proxy.js';

/** The shortest JWT_SECRET accepted in any environment. */
const MIN_JWT_SECRET_LENGTH = 32;

/** Development-only secret; `loadConfig` refuses it when NODE_ENV=production. */
export const DEV_JWT_SECRET = 'dev-only-jwt-secret-do-not-use-in-production-0000';

/**
 * The JWT secrets this repository publishes, refused in production with their variations too.
 * Only the development default is a literal today: .env.example, docker-compose.yml, the
 * Dockerfile and README show how to generate one, never a value (a test keeps them so).
 */
export const PUBLISHED_JWT_SECRETS: readonly PublishedSecret[] = [
  { name: 'the development default', value: DEV_JWT_SECRET },
];

/** Thrown when the environment is invalid; `problems` lists every one of them. */
export class ConfigValidationError extends Error {
  constructor(readonly problems: string[]) {
    super(
      `Invalid configuration (${problems.length} problem${problems.length === 1 ? '' : 's'}):\n` +
        problems.map((problem) => `  - ${problem}`).join('\n'),
    );
    this.name = 'ConfigValidationError';
  }
}

const boolean = z
  .enum(['true', 'false', '1', '0', 'yes', 'no'], { error: 'must be true or false' })
  .transform((value) => value === 'true' || value === '1' || value === 'yes');

const port = z.coerce
  .number({ error: 'must be a number' })
  .int('must be an integer')
  .min(1, 'must be between 1 and 65535')
  .max(65_535, 'must be between 1 and 65535');

const positiveInt = (max = Number.MAX_SAFE_INTEGER) =>
  z.coerce
    .number({ error: 'must be a number' })
    .int('must be an integer')
    .min(1, 'must be at least 1')
    .max(max, `must be at most ${max}`);

/** 0 or more (0 turns the feature off). */
const nonNegativeInt = (max: number) =>
  z.coerce
    .number({ error: 'must be a number' })
    .int('must be an integer')
    .min(0, 'must be at least 0')
    .max(max, `must be at most ${max}`);

/** The most often replicas are checked (ms): each check is two queries per replica. */
const MIN_REPLICA_CHECK_INTERVAL_MS = 50;

/** The highest rate limit the configuration accepts (requests per minute). */
export const MAX_RATE_LIMIT_PER_MINUTE = 1_000_000;

/** The longest lifetime an API key may be given (API_KEY_MAX_LIFETIME is bounded by it). */
export const MAX_API_KEY_LIFETIME_SECONDS = 5 * 365 * 86_400;

/** The most active API keys one user may hold that the configuration accepts. */
export const MAX_API_KEYS_PER_USER = 100;

/** The longest sign-in lockout window the configuration accepts (so `Retry-After` stays bounded). */
export const MAX_LOGIN_LOCKOUT_WINDOW_SECONDS = 86_400;

/** Access tokens can't be revoked by their holder losing them: they stay short-lived. */
export const MAX_ACCESS_TOKEN_TTL_SECONDS = 86_400;

const DURATION_UNITS: Record<string, number> = { s: 1, m: 60, h: 3600, d: 86_400 };

/** `900`, `900s`, `15m`, `12h` or `7d`, in seconds. */
const duration = z
  .string()
  .regex(/^\d+[smhd]?$/, 'must be a duration such as 900, 15m, 12h or 7d')
  .transform((value) => {
    const unit = /[smhd]$/.test(value) ? value.slice(-1) : 's';
    return Number.parseInt(value, 10) * (DURATION_UNITS[unit] ?? 1);
  })
  .refine((seconds) => seconds > 0, 'must be greater than zero');

const url = (protocols: string[], hint: string) =>
  z.string().refine((value) => {
    try {
      return protocols.includes(new URL(value).protocol);
    } catch {
      return false;
    }
  }, hint);

const csv = z.string().transform((value) =>
  value
    .split(',')
    .map((item) => item.trim())
    .filter(Boolean),
);

const POSTGRES_PROTOCOLS = ['postgres:', 'postgresql:'];
const POSTGRES_URL_HINT = 'must be a postgres:// or postgresql:// URL';

/** Comma-separated postgres URLs; a problem names the entry by its position, never its text (it may hold a password). */
const postgresUrls = csv.transform((entries, ctx): string[] => {
  entries.forEach((entry, index) => {
    if (!url(POSTGRES_PROTOCOLS, POSTGRES_URL_HINT).safeParse(entry).success) {
      ctx.addIssue({ code: 'custom', message: `entry ${index + 1} ${POSTGRES_URL_HINT}` });
    }
  });
  return entries;
});

/** Id of the data key derived from JWT_SECRET when DATA_ENCRYPTION_KEYS is unset. */
const DERIVED_DATA_KEY_ID = 'jwt';

/** `id:key,id:key`: ids of 1-16 letters or digits, keys of 32 bytes in base64 or base64url; the first seals. */
const dataKeys = csv.transform((entries, ctx): DataKey[] => {
  const keys: DataKey[] = [];
  for (const entry of entries) {
    const match = /^([A-Za-z0-9]{1,16}):([A-Za-z0-9+/_-]+={0,2})$/.exec(entry);
    const key = match ? Buffer.from(match[2] ?? '', 'base64') : undefined;
    if (!match || key?.length !== 32) {
      ctx.addIssue({ code: 'custom', message: 'must be comma-separated id:key entries, each key 32 bytes in base64' });
      return z.NEVER;
    }
    if (keys.some((k) => k.id === match[1])) {
      ctx.addIssue({ code: 'custom', message: `key id ${match[1]} is listed twice` });
      return z.NEVER;
    }
    keys.push({ id: match[1] ?? '', key });
  }
  if (keys.length === 0) {
    ctx.addIssue({ code: 'custom', message: 'must list at least one id:key entry' });
    return z.NEVER;
  }
  return keys;
});

/** The data key used when none is configured: HKDF-SHA256 of JWT_SECRET, for this purpose only. */
function derivedDataKey(jwtSecret: string): DataKey {
  return {
    id: DERIVED_DATA_KEY_ID,
    key: Buffer.from(hkdfSync('sha256', jwtSecret, Buffer.alloc(0), 'data-encryption/v1', 32)),
  };
}

const trustProxy = z.string().transform((value, context) => {
  const parsed = parseTrustProxy(value);
  if (parsed.ok) return parsed.value;
  context.addIssue({ code: 'custom', message: parsed.problem });
  return z.NEVER;
});

/** How to make a secret the production rules accept, named by their refusals. */
const SECRET_RECIPE =
  "generate one with node -e \"console.log(require('crypto').randomBytes(48).toString('base64url'))\"";

const EnvSchema = z.object({
  NODE_ENV: z
    .enum(['development', 'production', 'test'], { error: 'must be development, production or test' })
    .default('development'),
  /** Default: the project's title (package.json's `displayName`). */
  APP_NAME: z.string().min(1).max(100).optional(),
  HOST: z.string().min(1).default('0.0.0.0'),
  PORT: port.default(3000),
  PUBLIC_URL: url(['http:', 'https:'], 'must be an http(s) URL').optional(),
  FRONTEND_URL: url(['http:', 'https:'], 'must be an http(s) URL').optional(),
  LOG_LEVEL: z
    .enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'], {
      error: 'must be one of fatal, error, warn, info, debug, trace, silent',
    })
    .default('info'),
  LOG_FORMAT: z.enum(['pretty', 'json'], { error: 'must be pretty or json' }).optional(),
  DOCS_ENABLED: boolean.default(true),

  CORS_ORIGINS: csv.default([]),
  HTTP_BODY_LIMIT: positiveInt(100 * 1024 * 1024).default(1024 * 1024),
  TRUST_PROXY: trustProxy.default(false),
  SHUTDOWN_DRAIN_MS: nonNegativeInt(60_000).default(0),
  SHUTDOWN_TIMEOUT_MS: positiveInt(120_000).default(10_000),

  DATABASE_URL: url(POSTGRES_PROTOCOLS, POSTGRES_URL_HINT).optional(),
  DATABASE_EMBEDDED_DIR: z.string().min(1).default('.data/pglite'),
  DATABASE_POOL_MAX: positiveInt(1000).default(10),
  DATABASE_MIGRATE_ON_BOOT: boolean.optional(),
  DATABASE_SEED_ON_BOOT: boolean.optional(),
  DATABASE_REPLICA_URLS: postgresUrls.default([]),
  DATABASE_REPLICA_MAX_LAG_MS: positiveInt(3_600_000).default(3000),
  DATABASE_REPLICA_CHECK_INTERVAL_MS: positiveInt(60_000)
    .refine((ms) => ms >= MIN_REPLICA_CHECK_INTERVAL_MS, `must be at least ${MIN_REPLICA_CHECK_INTERVAL_MS}`)
    .default(1000),

  REDIS_URL: url(['redis:', 'rediss:'], 'must be a redis:// or rediss:// URL').optional(),
  CACHE_KEY_PREFIX: z
    .string()
    .regex(/^[A-Za-z0-9_.:-]{1,64}$/, 'must be 1-64 characters of letters, digits, _ . : -')
    .default('app'),
  CACHE_DEFAULT_TTL: duration.default(60),
  CACHE_OPERATION_TIMEOUT_MS: positiveInt(10_000).default(250),
  CACHE_LOCAL_MAX_ENTRIES: nonNegativeInt(1_000_000).default(10_000),

  JWT_SECRET: z
    .string()
    .min(MIN_JWT_SECRET_LENGTH, `must be at least ${MIN_JWT_SECRET_LENGTH} characters`)
    .default(DEV_JWT_SECRET),
  DATA_ENCRYPTION_KEYS: dataKeys.optional(),
  /** Default: the project's name (package.json's `name`), as for JWT_AUDIENCE. */
  JWT_ISSUER: z.string().min(1).max(200).optional(),
  JWT_AUDIENCE: z.string().min(1).max(200).optional(),
  ACCESS_TOKEN_TTL: duration
    .refine((seconds) => seconds <= MAX_ACCESS_TOKEN_TTL_SECONDS, 'must be at most 1d: access tokens are short-lived')
    .default(900),
  REFRESH_TOKEN_IDLE_TTL: duration.default(7 * 86_400),
  REFRESH_TOKEN_ABSOLUTE_TTL: duration.default(30 * 86_400),

  EMAIL_VERIFICATION_TTL: duration.default(24 * 3600),
  PASSWORD_RESET_TTL: duration.default(3600),

  RATE_LIMIT_PER_MINUTE: positiveInt(MAX_RATE_LIMIT_PER_MINUTE).default(300),
  RATE_LIMIT_AUTH_PER_MINUTE: positiveInt(MAX_RATE_LIMIT_PER_MINUTE).default(10),
  RATE_LIMIT_SYNC_MS: nonNegativeInt(10_000).default(500),
  LOGIN_LOCKOUT_WINDOW: duration
    .refine((seconds) => seconds <= MAX_LOGIN_LOCKOUT_WINDOW_SECONDS, 'must be at most 1d')
    .default(900),
  LOGIN_LOCKOUT_CLIENT_FAILURES: positiveInt(MAX_RATE_LIMIT_PER_MINUTE).default(10),
  LOGIN_LOCKOUT_ACCOUNT_FAILURES: positiveInt(MAX_RATE_LIMIT_PER_MINUTE).default(100),
  LOGIN_DEVICE_TOKEN_TTL: duration.default(90 * 86_400),

  API_KEY_MAX_LIFETIME: duration
    .refine((seconds) => seconds >= 86_400, 'must be at least 1d')
    .refine((seconds) => seconds <= MAX_API_KEY_LIFETIME_SECONDS, 'must be at most 1825d')
    .default(365 * 86_400),
  API_KEY_MAX_PER_USER: positiveInt(MAX_API_KEYS_PER_USER).default(10),
  API_KEY_RATE_LIMIT_PER_MINUTE: positiveInt(MAX_RATE_LIMIT_PER_MINUTE).default(120),
  API_KEY_LAST_USED_INTERVAL: duration.default(60),

  SMTP_URL: url(['smtp:', 'smtps:'], 'must be an smtp:// or smtps:// URL').optional(),
  /** Default: `<the project's title> <no-reply@localhost>`. */
  MAIL_FROM: z.string().min(3).max(200).optional(),

  BILLING_PROVIDER: z.enum(['local', 'stripe'], { error: 'must be local or stripe' }).optional(),
  BILLING_PAST_DUE_GRACE_PERIOD: duration.default(7 * 86_400),
  LOCAL_CHECKOUT_TTL: duration.default(1800),
  STRIPE_SECRET_KEY: z
    .string()
    .regex(/^(sk|rk)_(test|live)_[A-Za-z0-9]+$/, 'must be a Stripe secret key (sk_test_..., sk_live_...)')
    .optional(),
  STRIPE_WEBHOOK_SECRET: z
    .string()
    .regex(/^whsec_[A-Za-z0-9]+$/, 'must be a Stripe webhook signing secret (whsec_...)')
    .optional(),
  STRIPE_API_BASE_URL: url(['http:', 'https:'], 'must be an http(s) URL').optional(),
  STRIPE_TIMEOUT_MS: positiveInt(120_000).default(10_000),

  SEED_ADMIN_EMAIL: z
    .string()
    .refine((value) => !hasInvisibleCharacters(value), 'must not contain invisible characters')
    .transform(normalizeEmail)
    .pipe(z.email('must be an email address'))
    .refine((value) => !hasReservedEmailDomain(value), 'must not be under the reserved .invalid domain')
    .optional(),
  SEED_ADMIN_PASSWORD: z.string().min(12, 'must be at least 12 characters').max(128).optional(),
  SEED_ADMIN_NAME: z.string().min(1).max(100).default('Administrator'),
});

/**
 * Production rules, checked on the raw values so they are reported together with any
 * per-variable problem rather than after it is fixed.
 */
function productionProblems(env: Record<string, string>): string[] {
  if (env.NODE_ENV !== 'production') return [];
  const problems: string[] = [];
  if (env.JWT_SECRET === undefined || env.JWT_SECRET === DEV_JWT_SECRET) {
    problems.push('JWT_SECRET: must be set in production (the development default is refused)');
  } else if (env.JWT_SECRET.length >= MIN_JWT_SECRET_LENGTH) {
    const weaknesses = secretWeaknesses(env.JWT_SECRET, PUBLISHED_JWT_SECRETS);
    if (weaknesses.length > 0) {
      problems.push(`JWT_SECRET: too guessable for production: ${weaknesses.join(', ')}; ${SECRET_RECIPE}`);
    }
  }
  if (env.TRUST_PROXY !== undefined) {
    const parsed = parseTrustProxy(env.TRUST_PROXY);
    if (parsed.ok && parsed.value === true) {
      problems.push(
        'TRUST_PROXY: trusting every hop is refused in production (any client could choose its address ' +
          `with X-Forwarded-For); set ${TRUST_PROXY_SAFE_FORMS}`,
      );
    }
    const tooWide = parsed.ok ? tooWideTrustedRanges(parsed.value) : undefined;
    if (tooWide !== undefined) {
      problems.push(
        `TRUST_PROXY: ranges this wide are refused in production (${tooWide}): clients in them could choose ` +
          `their address with X-Forwarded-For; set ${TRUST_PROXY_SAFE_FORMS}, CIDRs of /${MIN_TRUSTED_PREFIX.ipv4} ` +
          `or narrower for IPv4 and /${MIN_TRUSTED_PREFIX.ipv6} or narrower for IPv6 (IPv4-mapped ::ffff:0:0/96 ` +
          'counts as IPv4), or the named ranges linklocal, uniquelocal',
      );
    }
  }
  if (env.DATABASE_URL === undefined) {
    problems.push('DATABASE_URL: must be set in production (the embedded database is for development)');
  }
  if (env.SEED_ADMIN_EMAIL !== undefined && env.SEED_ADMIN_PASSWORD === undefined) {
    problems.push('SEED_ADMIN_PASSWORD: must be set in production when SEED_ADMIN_EMAIL is');
  }
  return problems;
}

/**
 * Read replicas need a PostgreSQL primary (checked on the raw values, so it is reported with any
 * other problem), and a lag bound that the periodic check can prove.
 */
function replicaProblems(env: Record<string, string>, e: z.infer<typeof EnvSchema> | undefined): string[] {
  const listed = e ? e.DATABASE_REPLICA_URLS.length > 0 : env.DATABASE_REPLICA_URLS !== undefined;
  if (!listed) return [];
  const problems: string[] = [];
  if (env.DATABASE_URL === undefined) {
    problems.push('DATABASE_REPLICA_URLS: needs DATABASE_URL (the embedded database has no replicas)');
  }
  // A replica's freshness is proved once per check, against a primary position at least one check
  // old: a bound under two intervals would take replicas out of use between checks.
  if (e && e.DATABASE_REPLICA_MAX_LAG_MS < 2 * e.DATABASE_REPLICA_CHECK_INTERVAL_MS) {
    problems.push(
      'DATABASE_REPLICA_MAX_LAG_MS: must be at least twice DATABASE_REPLICA_CHECK_INTERVAL_MS (lag is measured once per check)',
    );
  }
  return problems;
}

/**
 * What runs, but should not run unnoticed: with NODE_ENV unset the production rules are off, so a
 * deployment that forgot it would sign tokens with a known or guessable secret.
 */
function developmentWarnings(env: Record<string, string>): string[] {
  if (env.NODE_ENV !== undefined) return [];
  const secret = env.JWT_SECRET;
  const weakness =
    secret === undefined || secret === DEV_JWT_SECRET
      ? 'the development default'
      : secretWeaknesses(secret, PUBLISHED_JWT_SECRETS).length > 0
        ? 'guessable'
        : undefined;
  if (weakness === undefined) return [];
  return [
    `NODE_ENV is not set, so development rules apply and JWT_SECRET is ${weakness}: ` +
      'anyone can forge access tokens. Outside development set NODE_ENV=production and a random JWT_SECRET.',
  ];
}

/**
 * Validates the environment into the typed {@link AppConfig}. Throws one
 * {@link ConfigValidationError} listing every problem, never just the first. The names it
 * defaults to are `project`'s (package.json's, unless a test passes another).
 */
export function loadConfig(rawEnv: Record<string, string | undefined>, project: ProjectIdentity = PROJECT): AppConfig {
  // An empty value counts as unset (compose files often pass `VAR=` through).
  const env = Object.fromEntries(
    Object.entries(rawEnv).filter((entry): entry is [string, string] => entry[1] !== undefined && entry[1] !== ''),
  );
  const parsed = EnvSchema.safeParse(env);
  const problems = parsed.success
    ? []
    : parsed.error.issues.map((issue) => `${issue.path.join('.') || '(environment)'}: ${issue.message}`);
  problems.push(...productionProblems(env));
  if (parsed.success && parsed.data.REFRESH_TOKEN_ABSOLUTE_TTL < parsed.data.REFRESH_TOKEN_IDLE_TTL) {
    problems.push('REFRESH_TOKEN_ABSOLUTE_TTL: must not be shorter than REFRESH_TOKEN_IDLE_TTL');
  }
  if (parsed.success && parsed.data.LOGIN_LOCKOUT_ACCOUNT_FAILURES < parsed.data.LOGIN_LOCKOUT_CLIENT_FAILURES) {
    problems.push(
      'LOGIN_LOCKOUT_ACCOUNT_FAILURES: must not be lower than LOGIN_LOCKOUT_CLIENT_FAILURES (it is the ceiling of all untrusted clients together)',
    );
  }
  problems.push(...replicaProblems(env, parsed.success ? parsed.data : undefined));
  if (parsed.success && parsed.data.BILLING_PROVIDER === 'stripe' && !parsed.data.STRIPE_SECRET_KEY) {
    problems.push('STRIPE_SECRET_KEY: must be set when BILLING_PROVIDER=stripe');
  }
  if (!parsed.success || problems.length > 0) throw new ConfigValidationError(problems);
  const e = parsed.data;

  const embedded = e.DATABASE_URL === undefined;
  return {
    warnings: developmentWarnings(env),
    app: {
      env: e.NODE_ENV,
      name: e.APP_NAME ?? project.title,
      host: e.HOST,
      port: e.PORT,
      publicUrl: (e.PUBLIC_URL ?? `http://localhost:${e.PORT}`).replace(/\/+$/, ''),
      frontendUrl: (e.FRONTEND_URL ?? e.PUBLIC_URL ?? `http://localhost:${e.PORT}`).replace(/\/+$/, ''),
      logLevel: e.LOG_LEVEL,
      logFormat: e.LOG_FORMAT ?? (e.NODE_ENV === 'development' ? 'pretty' : 'json'),
      docsEnabled: e.DOCS_ENABLED,
    },
    http: {
      corsOrigins: e.CORS_ORIGINS,
      bodyLimitBytes: e.HTTP_BODY_LIMIT,
      trustProxy: e.TRUST_PROXY,
      shutdownDrainMs: e.SHUTDOWN_DRAIN_MS,
      shutdownTimeoutMs: e.SHUTDOWN_TIMEOUT_MS,
    },
    database: {
      url: e.DATABASE_URL,
      embeddedDir: e.DATABASE_EMBEDDED_DIR,
      poolMax: e.DATABASE_POOL_MAX,
      migrateOnBoot: e.DATABASE_MIGRATE_ON_BOOT ?? embedded,
      seedOnBoot: e.DATABASE_SEED_ON_BOOT ?? embedded,
      replicas: {
        urls: e.DATABASE_REPLICA_URLS,
        maxLagMs: e.DATABASE_REPLICA_MAX_LAG_MS,
        checkIntervalMs: e.DATABASE_REPLICA_CHECK_INTERVAL_MS,
      },
    },
    cache: {
      redisUrl: e.REDIS_URL,
      keyPrefix: e.CACHE_KEY_PREFIX,
      defaultTtlSeconds: e.CACHE_DEFAULT_TTL,
      operationTimeoutMs: e.CACHE_OPERATION_TIMEOUT_MS,
      localMaxEntries: e.CACHE_LOCAL_MAX_ENTRIES,
    },
    auth: {
      jwtSecret: e.JWT_SECRET,
      jwtIssuer: e.JWT_ISSUER ?? project.name,
      jwtAudience: e.JWT_AUDIENCE ?? project.name,
      accessTokenTtlSeconds: e.ACCESS_TOKEN_TTL,
      refreshTokenIdleTtlSeconds: e.REFRESH_TOKEN_IDLE_TTL,
      refreshTokenAbsoluteTtlSeconds: e.REFRESH_TOKEN_ABSOLUTE_TTL,
      emailVerificationTtlSeconds: e.EMAIL_VERIFICATION_TTL,
      passwordResetTtlSeconds: e.PASSWORD_RESET_TTL,
    },
    dataEncryption: {
      keys: e.DATA_ENCRYPTION_KEYS ?? [derivedDataKey(e.JWT_SECRET)],
    },
    rateLimit: {
      perMinute: e.RATE_LIMIT_PER_MINUTE,
      authPerMinute: e.RATE_LIMIT_AUTH_PER_MINUTE,
      syncIntervalMs: e.RATE_LIMIT_SYNC_MS,
    },
    loginLockout: {
      windowSeconds: e.LOGIN_LOCKOUT_WINDOW,
      clientFailures: e.LOGIN_LOCKOUT_CLIENT_FAILURES,
      accountFailures: e.LOGIN_LOCKOUT_ACCOUNT_FAILURES,
      deviceTokenTtlSeconds: e.LOGIN_DEVICE_TOKEN_TTL,
    },
    apiKeys: {
      maxLifetimeSeconds: e.API_KEY_MAX_LIFETIME,
      maxPerUser: e.API_KEY_MAX_PER_USER,
      perMinute: e.API_KEY_RATE_LIMIT_PER_MINUTE,
      lastUsedIntervalSeconds: e.API_KEY_LAST_USED_INTERVAL,
    },
    mail: {
      smtpUrl: e.SMTP_URL,
      from: e.MAIL_FROM ?? `${project.title} <no-reply@localhost>`,
    },
    billing: {
      provider: e.BILLING_PROVIDER ?? (e.STRIPE_SECRET_KEY ? 'stripe' : 'local'),
      pastDueGracePeriodSeconds: e.BILLING_PAST_DUE_GRACE_PERIOD,
      localCheckoutTtlSeconds: e.LOCAL_CHECKOUT_TTL,
      stripe: {
        secretKey: e.STRIPE_SECRET_KEY,
        webhookSecret: e.STRIPE_WEBHOOK_SECRET,
        apiBaseUrl: e.STRIPE_API_BASE_URL,
        timeoutMs: e.STRIPE_TIMEOUT_MS,
      },
    },
    seed: {
      adminEmail: e.SEED_ADMIN_EMAIL,
      adminPassword: e.SEED_ADMIN_PASSWORD,
      adminName: e.SEED_ADMIN_NAME,
    },
  };
}

/** Every variable the configuration reads; the compose-file test checks them against .env.example. */
export const CONFIG_VARIABLES: readonly string[] = Object.keys(EnvSchema.shape);
