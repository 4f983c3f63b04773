import type { DataKey } from '@app/common';
import type { TrustProxySetting } from './trust-proxy.js';

export type NodeEnv = 'development' | 'production' | 'test';
export type LogLevel = 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent';
/** `pretty`: coloured lines for a terminal and a boot banner; `json`: one JSON object per line. */
export type LogFormat = 'pretty' | 'json';

/**
 * The validated, typed configuration, grouped by concern. Built once at boot by `loadConfig`
 * and injected by class: `constructor(private readonly config: AppConfig)`.
 */
export abstract class AppConfig {
  /** Accepted but risky settings, each one line for the boot log (e.g. a development secret with NODE_ENV unset). */
  declare readonly warnings: readonly string[];
  declare readonly app: {
    env: NodeEnv;
    /** Shown as the OpenAPI title and in logs. */
    name: string;
    host: string;
    port: number;
    /** Public base URL of the API, used to build links (emails, checkout pages). */
    publicUrl: string;
    /** Base URL of the web app; emailed links (verify email, reset password) point there. */
    frontendUrl: string;
    logLevel: LogLevel;
    /** Default: pretty in development, json in production and test. */
    logFormat: LogFormat;
    /** Publish Swagger UI at /docs and the spec at /docs/openapi.json. */
    docsEnabled: boolean;
  };
  declare readonly http: {
    /** Origins allowed by CORS; empty means no cross-origin access. */
    corsOrigins: string[];
    /** Largest accepted request body, in bytes. */
    bodyLimitBytes: number;
    /** Which X-Forwarded-* hops to believe (behind reverse proxies / load balancers); see {@link TrustProxySetting}. */
    trustProxy: TrustProxySetting;
    /**
     * After SIGTERM, how long the instance keeps serving while its readiness probe answers 503, so a
     * load balancer or Kubernetes stops routing to it before it stops accepting connections.
     */
    shutdownDrainMs: number;
    /** How long shutdown then waits for in-flight requests before closing anyway. */
    shutdownTimeoutMs: number;
  };
  declare readonly database: {
    /** PostgreSQL URL; undefined selects the embedded PGlite database. */
    url: string | undefined;
    /** Data directory of the embedded database (`memory://` keeps it in memory). */
    embeddedDir: string;
    poolMax: number;
    /** Apply pending migrations at boot (default: only for the embedded database). */
    migrateOnBoot: boolean;
    /** Seed plans and the admin account at boot (default: only for the embedded database). */
    seedOnBoot: boolean;
    /** Streaming replicas of `url` that take reads (PostgreSQL only); none by default. */
    replicas: {
      /** Their PostgreSQL URLs; empty: every query goes to `url`. */
      urls: string[];
      /** A replica further behind the primary than this is not read from until it catches up. */
      maxLagMs: number;
      /** How often each replica's reachability and lag are checked. */
      checkIntervalMs: number;
    };
  };
  declare readonly cache: {
    /** Redis URL; undefined selects the in-process memory store. */
    redisUrl: string | undefined;
    /** First segment of every cache key: `<prefix>:<module>:...`. */
    keyPrefix: string;
    defaultTtlSeconds: number;
    /** A cache call slower than this is abandoned and the request goes to the database. */
    operationTimeoutMs: number;
    /**
     * Most Redis replies kept in this process (the first tier, kept coherent by Redis's client
     * tracking); 0 turns the first tier off.
     */
    localMaxEntries: number;
  };
  declare readonly auth: {
    jwtSecret: string;
    jwtIssuer: string;
    jwtAudience: string;
    accessTokenTtlSeconds: number;
    refreshTokenIdleTtlSeconds: number;
    refreshTokenAbsoluteTtlSeconds: number;
    /** Lifetime of an email verification (or email change) link. */
    emailVerificationTtlSeconds: number;
    /** Lifetime of a password reset link. */
    passwordResetTtlSeconds: number;
  };
  declare readonly rateLimit: {
    /** Requests per minute per client IP on ordinary routes. */
    perMinute: number;
    /** Attempts per minute on login, register, refresh and forgot-password, per IP and per account. */
    authPerMinute: number;
    /**
     * How often (ms) each instance adds what it counted of the general limit to Redis; 0 counts every
     * request in Redis. The strict limits are always counted in Redis, request by request.
     */
    syncIntervalMs: number;
  };
  declare readonly dataEncryption: {
    /**
     * Keys that seal secrets stored in the database (AES-256-GCM): the first seals, all open. From
     * DATA_ENCRYPTION_KEYS, or one key derived from JWT_SECRET when it is unset.
     */
    keys: DataKey[];
  };
  /** Sign-in lockout: failed passwords counted per device, per account and address, per account. */
  declare readonly loginLockout: {
    /** Failures count for this long after the first one; a lockout lasts at most as long. */
    windowSeconds: number;
    /** Failures per window from one client: a device token, or (without one) an account and address. */
    clientFailures: number;
    /** Failures per window on one account from all clients without a device token. */
    accountFailures: number;
    /** Lifetime of a device token (renewed on every sign-in). */
    deviceTokenTtlSeconds: number;
  };
  /** API keys of machine clients (README "API keys"). */
  declare readonly apiKeys: {
    /** The longest lifetime a key may be created with. */
    maxLifetimeSeconds: number;
    /** Most active (unrevoked, unexpired) keys per user. */
    maxPerUser: number;
    /** Requests per minute per key, on every route together (besides the per-IP limit). */
    perMinute: number;
    /** A key's `lastUsedAt` is written at most once per this interval. */
    lastUsedIntervalSeconds: number;
  };
  declare readonly mail: {
    /** SMTP server URL; undefined logs mail instead of sending it (development). */
    smtpUrl: string | undefined;
    /** The From header of every message. */
    from: string;
  };
  declare readonly billing: {
    /** `local` (no external service, the default without a Stripe key) or `stripe`. */
    provider: 'local' | 'stripe';
    /** How long a past-due subscription keeps its plan's entitlements. */
    pastDueGracePeriodSeconds: number;
    /** Lifetime of a local checkout link. */
    localCheckoutTtlSeconds: number;
    stripe: {
      secretKey: string | undefined;
      /** Enables POST /v1/billing/webhooks/stripe (needs no API key). */
      webhookSecret: string | undefined;
      /** Another Stripe API host (tests, stripe-mock); default api.stripe.com. */
      apiBaseUrl: string | undefined;
      timeoutMs: number;
    };
  };
  declare readonly seed: {
    /** Admin account created by the seed when both email and password are set. */
    adminEmail: string | undefined;
    adminPassword: string | undefined;
    adminName: string;
  };
}
