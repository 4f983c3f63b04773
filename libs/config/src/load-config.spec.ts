import { describe, expect, it } from '@jest/globals';
import { ConfigValidationError, DEV_JWT_SECRET, loadConfig } from './load-config.js';

function problemsOf(env: Record<string, string | undefined>): string[] {
  try {
    loadConfig(env);
  } catch (error) {
    if (error instanceof ConfigValidationError) return error.problems;
    throw error;
  }
  throw new Error('expected loadConfig to throw');
}

describe(loadConfig.name, () => {
  it('runs on embedded defaults with no environment at all', () => {
    const sut = loadConfig({});

    expect(sut.app).toMatchObject({ env: 'development', port: 3000, publicUrl: 'http://localhost:3000' });
    expect(sut.database).toEqual({
      url: undefined,
      embeddedDir: '.data/pglite',
      poolMax: 10,
      migrateOnBoot: true,
      seedOnBoot: true,
    });
    expect(sut.cache).toMatchObject({ redisUrl: undefined, keyPrefix: 'app', defaultTtlSeconds: 60 });
    expect(sut.auth.accessTokenTtlSeconds).toBe(900);
  });

  it('uses the real servers, and stops migrating at boot, when their URLs are set', () => {
    const sut = loadConfig({ DATABASE_URL: 'postgres://u@db:5432/app', REDIS_URL: 'redis://cache:6379' });

    expect(sut.database).toMatchObject({ url: 'postgres://u@db:5432/app', migrateOnBoot: false, seedOnBoot: false });
    expect(sut.cache.redisUrl).toBe('redis://cache:6379');
  });

  it('coerces numbers, booleans, lists and durations', () => {
    const sut = loadConfig({
      PORT: '8080',
      TRUST_PROXY: 'true',
      CORS_ORIGINS: 'https://a.example, https://b.example,',
      ACCESS_TOKEN_TTL: '5m',
      REFRESH_TOKEN_IDLE_TTL: '2d',
      CACHE_DEFAULT_TTL: '30',
    });

    expect(sut.app.port).toBe(8080);
    expect(sut.http.trustProxy).toBe(true);
    expect(sut.http.corsOrigins).toEqual(['https://a.example', 'https://b.example']);
    expect(sut.auth.accessTokenTtlSeconds).toBe(300);
    expect(sut.auth.refreshTokenIdleTtlSeconds).toBe(172_800);
    expect(sut.cache.defaultTtlSeconds).toBe(30);
  });

  it('reads the sign-in lockout, and refuses an account ceiling below the per-client limit', () => {
    expect(loadConfig({}).loginLockout).toEqual({
      windowSeconds: 900,
      clientFailures: 10,
      accountFailures: 100,
      deviceTokenTtlSeconds: 90 * 86_400,
    });
    expect(
      loadConfig({ LOGIN_LOCKOUT_WINDOW: '1h', LOGIN_LOCKOUT_CLIENT_FAILURES: '5', LOGIN_DEVICE_TOKEN_TTL: '30d' })
        .loginLockout,
    ).toEqual({ windowSeconds: 3600, clientFailures: 5, accountFailures: 100, deviceTokenTtlSeconds: 30 * 86_400 });

    expect(problemsOf({ LOGIN_LOCKOUT_CLIENT_FAILURES: '20', LOGIN_LOCKOUT_ACCOUNT_FAILURES: '10' })).toEqual([
      'LOGIN_LOCKOUT_ACCOUNT_FAILURES: must not be lower than LOGIN_LOCKOUT_CLIENT_FAILURES (it is the ceiling of all untrusted clients together)',
    ]);
    expect(problemsOf({ LOGIN_LOCKOUT_WINDOW: '2d' })).toEqual(['LOGIN_LOCKOUT_WINDOW: must be at most 1d']);
  });

  it('treats empty values as unset', () => {
    expect(loadConfig({ DATABASE_URL: '', PORT: '' }).database.url).toBeUndefined();
  });

  it('lists every problem in one error instead of stopping at the first', () => {
    const problems = problemsOf({
      PORT: 'eighty',
      DATABASE_URL: 'mysql://localhost/app',
      REDIS_URL: 'not a url',
      LOG_LEVEL: 'loud',
      TRUST_PROXY: 'maybe',
      ACCESS_TOKEN_TTL: '15 minutes',
      JWT_SECRET: 'short',
    });

    expect(problems).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/^PORT: /),
        'DATABASE_URL: must be a postgres:// or postgresql:// URL',
        'REDIS_URL: must be a redis:// or rediss:// URL',
        expect.stringMatching(/^LOG_LEVEL: must be one of/),
        'TRUST_PROXY: must be true or false',
        'ACCESS_TOKEN_TTL: must be a duration such as 900, 15m, 12h or 7d',
        'JWT_SECRET: must be at least 32 characters',
      ]),
    );
    expect(problems).toHaveLength(7);
  });

  it('refuses an access token lifetime above one day', () => {
    expect(problemsOf({ ACCESS_TOKEN_TTL: '2d' })).toEqual([
      'ACCESS_TOKEN_TTL: must be at most 1d: access tokens are short-lived',
    ]);
    expect(loadConfig({ ACCESS_TOKEN_TTL: '1d' }).auth.accessTokenTtlSeconds).toBe(86_400);
  });

  it('formats the error as one message with a line per problem', () => {
    expect(() => loadConfig({ PORT: '0', HTTP_BODY_LIMIT: '-1' })).toThrow(
      /^Invalid configuration \(2 problems\):\n {2}- PORT: must be between 1 and 65535\n {2}- HTTP_BODY_LIMIT: must be at least 1$/,
    );
  });

  it('refuses development defaults in production, together with other problems', () => {
    const problems = problemsOf({ NODE_ENV: 'production', PORT: 'x' });

    expect(problems).toEqual([
      expect.stringMatching(/^PORT: /),
      'JWT_SECRET: must be set in production (the development default is refused)',
      'DATABASE_URL: must be set in production (the embedded database is for development)',
    ]);
    expect(
      problemsOf({ NODE_ENV: 'production', JWT_SECRET: DEV_JWT_SECRET, DATABASE_URL: 'postgres://db/app' }),
    ).toEqual(['JWT_SECRET: must be set in production (the development default is refused)']);
  });

  it('accepts a complete production environment', () => {
    const sut = loadConfig({
      NODE_ENV: 'production',
      JWT_SECRET: 'x'.repeat(48),
      DATABASE_URL: 'postgresql://app@db:5432/app',
    });

    expect(sut.app.env).toBe('production');
    expect(sut.database.migrateOnBoot).toBe(false);
  });

  it('checks rules that span variables', () => {
    expect(problemsOf({ REFRESH_TOKEN_IDLE_TTL: '30d', REFRESH_TOKEN_ABSOLUTE_TTL: '7d' })).toEqual([
      'REFRESH_TOKEN_ABSOLUTE_TTL: must not be shorter than REFRESH_TOKEN_IDLE_TTL',
    ]);
  });
});
