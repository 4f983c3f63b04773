import { describe, expect, it } from 'vitest';
import { randomBytes } from 'node:crypto';
import { DEV_JWT_SECRET, loadConfig } from './load-config.js';
import { PRODUCTION, problemsOf, STRONG_SECRET } from './load-config.fixtures.js';

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
      replicas: { urls: [], maxLagMs: 3000, checkIntervalMs: 1000 },
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

  it('reads the API key settings, and bounds their lifetime and count', () => {
    expect(loadConfig({}).apiKeys).toEqual({
      maxLifetimeSeconds: 365 * 86_400,
      maxPerUser: 10,
      perMinute: 120,
      lastUsedIntervalSeconds: 60,
    });
    expect(
      loadConfig({
        API_KEY_MAX_LIFETIME: '30d',
        API_KEY_MAX_PER_USER: '3',
        API_KEY_RATE_LIMIT_PER_MINUTE: '1000',
        API_KEY_LAST_USED_INTERVAL: '5m',
      }).apiKeys,
    ).toEqual({ maxLifetimeSeconds: 30 * 86_400, maxPerUser: 3, perMinute: 1000, lastUsedIntervalSeconds: 300 });

    expect(problemsOf({ API_KEY_MAX_LIFETIME: '12h', API_KEY_MAX_PER_USER: '101' })).toEqual([
      'API_KEY_MAX_LIFETIME: must be at least 1d',
      'API_KEY_MAX_PER_USER: must be at most 100',
    ]);
    expect(problemsOf({ API_KEY_MAX_LIFETIME: '1826d', API_KEY_LAST_USED_INTERVAL: 'often' })).toEqual([
      'API_KEY_MAX_LIFETIME: must be at most 1825d',
      'API_KEY_LAST_USED_INTERVAL: must be a duration such as 900, 15m, 12h or 7d',
    ]);
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
        'TRUST_PROXY: must be false, true, a hop count or a comma-separated list of proxy addresses/CIDRs (not an address or CIDR: maybe)',
        'ACCESS_TOKEN_TTL: must be a duration such as 900, 15m, 12h or 7d',
        'JWT_SECRET: must be at least 32 characters',
      ]),
    );
    expect(problems).toHaveLength(7);
  });

  it('logs pretty lines in development and JSON in production and test, unless LOG_FORMAT says otherwise', () => {
    const production = {
      NODE_ENV: 'production',
      JWT_SECRET: randomBytes(48).toString('base64url'),
      DATABASE_URL: 'postgres://db/app',
    };
    expect(loadConfig({}).app.logFormat).toBe('pretty');
    expect(loadConfig({ NODE_ENV: 'test' }).app.logFormat).toBe('json');
    expect(loadConfig(production).app.logFormat).toBe('json');
    expect(loadConfig({ LOG_FORMAT: 'json' }).app.logFormat).toBe('json');
    expect(loadConfig({ ...production, LOG_FORMAT: 'pretty' }).app.logFormat).toBe('pretty');
    expect(problemsOf({ LOG_FORMAT: 'text' })).toEqual(['LOG_FORMAT: must be pretty or json']);
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
    const sut = loadConfig({ ...PRODUCTION, JWT_SECRET: STRONG_SECRET });

    expect(sut.app.env).toBe('production');
    expect(sut.database.migrateOnBoot).toBe(false);
    expect(sut.warnings).toEqual([]);
  });

  describe('DATA_ENCRYPTION_KEYS', () => {
    const keyOf = () => randomBytes(32).toString('base64');

    it('reads id:key entries in order (the first seals), base64 or base64url', () => {
      const a = randomBytes(32);
      const b = randomBytes(32);
      const sut = loadConfig({ DATA_ENCRYPTION_KEYS: `new:${a.toString('base64url')}, old:${b.toString('base64')}` });

      expect(sut.dataEncryption.keys).toEqual([
        { id: 'new', key: a },
        { id: 'old', key: b },
      ]);
    });

    it('derives one key from JWT_SECRET when unset: stable for one secret, another for another', () => {
      const one = loadConfig({ JWT_SECRET: STRONG_SECRET }).dataEncryption.keys;
      const again = loadConfig({ JWT_SECRET: STRONG_SECRET }).dataEncryption.keys;
      const other = loadConfig({}).dataEncryption.keys;

      expect(one).toHaveLength(1);
      expect(one[0]?.id).toBe('jwt');
      expect(one[0]?.key).toHaveLength(32);
      expect(again).toEqual(one);
      expect(other[0]?.key.equals(one[0]?.key ?? Buffer.alloc(0))).toBe(false);
    });

    it.each([
      ['a key of 16 bytes', `k1:${randomBytes(16).toString('base64')}`, /32 bytes/],
      ['no id', keyOf(), /id:key/],
      ['an id with a dash', `key-1:${keyOf()}`, /id:key/],
      ['an id listed twice', `k1:${keyOf()},k1:${keyOf()}`, /listed twice/],
      ['only separators', ' , ', /at least one/],
    ])('refuses %s', (_label, value, message) => {
      const problems = problemsOf({ DATA_ENCRYPTION_KEYS: value });

      expect(problems).toHaveLength(1);
      expect(problems[0]).toMatch(/^DATA_ENCRYPTION_KEYS: /);
      expect(problems[0]).toMatch(message);
    });
  });

  describe('TRUST_PROXY', () => {
    it.each<[string, unknown]>([
      ['false', false],
      ['0', false],
      ['1', 1],
      ['3', 3],
      ['true', true],
      ['10.0.0.5', ['10.0.0.5']],
      [
        ' 10.0.0.0/8, 192.168.1.0/255.255.255.0,::1 , loopback',
        ['10.0.0.0/8', '192.168.1.0/255.255.255.0', '::1', 'loopback'],
      ],
    ])('reads %j as %j', (value, expected) => {
      expect(loadConfig({ TRUST_PROXY: value }).http.trustProxy).toEqual(expected);
    });

    it.each([
      ['11', 'TRUST_PROXY: a hop count must be at most 10'],
      [
        '10.0.0.0/40, proxy.internal',
        'TRUST_PROXY: must be false, true, a hop count or a comma-separated list of proxy addresses/CIDRs (not an address or CIDR: 10.0.0.0/40, proxy.internal)',
      ],
      [',', 'TRUST_PROXY: must be false, true, a hop count or a comma-separated list of proxy addresses/CIDRs'],
    ])('refuses %j', (value, problem) => {
      expect(problemsOf({ TRUST_PROXY: value })).toEqual([problem]);
    });

    it('refuses trusting every hop in production, naming the safe forms; a hop count or addresses pass', () => {
      expect(problemsOf({ ...PRODUCTION, JWT_SECRET: STRONG_SECRET, TRUST_PROXY: 'true' })).toEqual([
        'TRUST_PROXY: trusting every hop is refused in production (any client could choose its address with ' +
          'X-Forwarded-For); set the number of proxies in front (1 for one nginx) or their addresses/CIDRs ' +
          '(e.g. 10.0.0.5 or 10.0.0.0/8, loopback)',
      ]);
      for (const value of ['1', '10.0.0.0/8,loopback', 'false']) {
        expect(loadConfig({ ...PRODUCTION, JWT_SECRET: STRONG_SECRET, TRUST_PROXY: value }).app.env).toBe('production');
      }
    });
  });

  describe('TRUST_PROXY ranges in production', () => {
    const inProduction = (value: string) => ({ ...PRODUCTION, JWT_SECRET: STRONG_SECRET, TRUST_PROXY: value });
    const refusal = (why: string) =>
      `TRUST_PROXY: ranges this wide are refused in production (${why}): clients in them could choose their ` +
      'address with X-Forwarded-For; set the number of proxies in front (1 for one nginx) or their ' +
      'addresses/CIDRs (e.g. 10.0.0.5 or 10.0.0.0/8, loopback), CIDRs of /8 or narrower for IPv4 and /16 or ' +
      'narrower for IPv6 (IPv4-mapped ::ffff:0:0/96 counts as IPv4), or the named ranges linklocal, uniquelocal';
    const tooWide = (...ranges: string[]) => refusal(`wider than /8 (IPv4) or /16 (IPv6): ${ranges.join(', ')}`);

    it('refuses CIDRs that together trust every address, as it refuses true', () => {
      expect(problemsOf(inProduction('0.0.0.0/1,128.0.0.0/1,::/1,8000::/1'))).toEqual([
        tooWide('0.0.0.0/1', '128.0.0.0/1', '::/1', '8000::/1'),
      ]);
    });

    it.each([
      ['10.0.0.0/7', '10.0.0.0/7'],
      ['10.0.0.0/254.0.0.0', 'a netmask one bit wider than /8'],
      ['2000::/15', '2000::/15'],
      ['fc00::/7', 'uniquelocal written as a CIDR'],
      ['::ffff:0:0/96', 'every IPv4-mapped address, so all of IPv4'],
      ['::ffff:10.0.0.0/103', 'an IPv4-mapped /7'],
      ['::/80', 'an IPv6 range around all IPv4-mapped addresses'],
    ])('refuses %s (%s)', (value) => {
      expect(problemsOf(inProduction(value))).toEqual([tooWide(value)]);
    });

    it('refuses narrow CIDRs that add up to more than four /8s of IPv4 or four /16s of IPv6', () => {
      const eights = (n: number) => Array.from({ length: n }, (_, i) => `${i}.0.0.0/8`).join(',');
      const sixteens = (n: number) =>
        Array.from({ length: n }, (_, i) => `${(0x2001 + i).toString(16)}::/16`).join(',');

      expect(problemsOf(inProduction(eights(5)))).toEqual([refusal('together more than 4 /8s of IPv4')]);
      expect(problemsOf(inProduction(sixteens(5)))).toEqual([refusal('together more than 4 /16s of IPv6')]);
      expect(problemsOf(inProduction(`${eights(256)},${sixteens(65)}`))).toEqual([
        refusal('together more than 4 /8s of IPv4 or 4 /16s of IPv6'),
      ]);
      expect(loadConfig(inProduction(`${eights(4)},${sixteens(4)}`)).http.trustProxy).toHaveLength(8);
    });

    it.each([
      '10.0.0.0/8',
      '10.0.0.0/255.0.0.0',
      '10.0.0.0/8,172.16.0.0/12,192.168.0.0/16',
      '2001:db8::/16',
      '::ffff:10.0.0.0/104',
      '::ffff:10.0.0.5',
      '2001:db8::5,10.0.0.5',
      'loopback,linklocal,uniquelocal',
    ])('accepts %s: a /8 of IPv4, a /16 of IPv6 or narrower, and the named private ranges', (value) => {
      expect(loadConfig(inProduction(value)).app.env).toBe('production');
    });

    it('accepts any range outside production', () => {
      const value = '0.0.0.0/1,128.0.0.0/1,::/1,8000::/1';
      expect(loadConfig({ NODE_ENV: 'development', TRUST_PROXY: value }).http.trustProxy).toHaveLength(4);
    });
  });

  describe('warnings', () => {
    const warning = (what: string) =>
      `NODE_ENV is not set, so development rules apply and JWT_SECRET is ${what}: anyone can forge access ` +
      'tokens. Outside development set NODE_ENV=production and a random JWT_SECRET.';

    it('warns once about the development secret, or a guessable one, when NODE_ENV is unset', () => {
      expect(loadConfig({}).warnings).toEqual([warning('the development default')]);
      expect(loadConfig({ JWT_SECRET: DEV_JWT_SECRET, NODE_ENV: '' }).warnings).toEqual([
        warning('the development default'),
      ]);
      expect(loadConfig({ JWT_SECRET: 'a'.repeat(32) }).warnings).toEqual([warning('guessable')]);
    });

    it('says nothing when NODE_ENV is set or the secret is strong', () => {
      expect(loadConfig({ NODE_ENV: 'development' }).warnings).toEqual([]);
      expect(loadConfig({ NODE_ENV: 'test' }).warnings).toEqual([]);
      expect(loadConfig({ JWT_SECRET: STRONG_SECRET }).warnings).toEqual([]);
    });
  });

  describe('DATABASE_REPLICA_URLS', () => {
    const primary = { DATABASE_URL: 'postgres://app@db:5432/app' };

    it('reads comma-separated postgres URLs, with the lag bound and check interval', () => {
      const sut = loadConfig({
        ...primary,
        DATABASE_REPLICA_URLS: 'postgres://app@replica-1:5432/app, postgresql://app:secret@replica-2/app,',
        DATABASE_REPLICA_MAX_LAG_MS: '5000',
        DATABASE_REPLICA_CHECK_INTERVAL_MS: '500',
      });

      expect(sut.database.replicas).toEqual({
        urls: ['postgres://app@replica-1:5432/app', 'postgresql://app:secret@replica-2/app'],
        maxLagMs: 5000,
        checkIntervalMs: 500,
      });
    });

    it('names a malformed entry by its position, never by its text (it may hold a password)', () => {
      const problems = problemsOf({
        ...primary,
        DATABASE_REPLICA_URLS: 'postgres://replica-1/app,mysql://root:hunter2@replica-2/app,not a url',
      });

      expect(problems).toEqual([
        'DATABASE_REPLICA_URLS: entry 2 must be a postgres:// or postgresql:// URL',
        'DATABASE_REPLICA_URLS: entry 3 must be a postgres:// or postgresql:// URL',
      ]);
      expect(problems.join('\n')).not.toContain('hunter2');
    });

    it('refuses replicas without DATABASE_URL (the embedded database has none), with every other problem', () => {
      expect(problemsOf({ DATABASE_REPLICA_URLS: 'postgres://replica-1/app', PORT: 'eighty' })).toEqual([
        'PORT: must be a number',
        'DATABASE_REPLICA_URLS: needs DATABASE_URL (the embedded database has no replicas)',
      ]);
      expect(loadConfig({ DATABASE_REPLICA_URLS: ' , ' }).database.replicas.urls).toEqual([]);
    });

    it('refuses a lag bound under two check intervals, which no check could prove', () => {
      const replicas = { ...primary, DATABASE_REPLICA_URLS: 'postgres://replica-1/app' };

      expect(problemsOf({ ...replicas, DATABASE_REPLICA_MAX_LAG_MS: '1500' })).toEqual([
        'DATABASE_REPLICA_MAX_LAG_MS: must be at least twice DATABASE_REPLICA_CHECK_INTERVAL_MS (lag is measured once per check)',
      ]);
      expect(problemsOf({ ...replicas, DATABASE_REPLICA_CHECK_INTERVAL_MS: '10' })).toEqual([
        'DATABASE_REPLICA_CHECK_INTERVAL_MS: must be at least 50',
      ]);
      expect(loadConfig({ ...replicas, DATABASE_REPLICA_MAX_LAG_MS: '2000' }).database.replicas.maxLagMs).toBe(2000);
      // Without replicas the two settings mean nothing and are not held to each other.
      expect(loadConfig({ DATABASE_REPLICA_MAX_LAG_MS: '1' }).database.replicas.urls).toEqual([]);
    });
  });

  it('checks rules that span variables', () => {
    expect(problemsOf({ REFRESH_TOKEN_IDLE_TTL: '30d', REFRESH_TOKEN_ABSOLUTE_TTL: '7d' })).toEqual([
      'REFRESH_TOKEN_ABSOLUTE_TTL: must not be shorter than REFRESH_TOKEN_IDLE_TTL',
    ]);
  });
});
