import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { randomBytes } from 'node:crypto';
import { bearer, strongPassword, uniqueEmail } from './utils/auth.js';
import { createTestApp, type TestApp } from './utils/test-app.js';
import { createTestDatabase, type TestDatabase } from './utils/test-database.js';

const GENERAL_LIMIT = 5;
/** The address of the nginx in front of the API, as the API's socket sees it. */
const PROXY = '10.0.0.5';

/** A new address each call: what a client writes into X-Forwarded-For to look like someone else. */
function forgedAddress(): string {
  const [a = 0, b = 0, c = 0] = randomBytes(3);
  return `198.18.${a}.${(b ^ c) % 250}`;
}

/**
 * OWASP ASVS 5.0 4.1.3 (headers set by intermediaries can't be overridden by the end user): behind
 * a proxy that appends the peer's address (nginx: `$proxy_add_x_forwarded_for`), the client's
 * address is the entry the trusted proxies wrote, never the leftmost one the client wrote.
 */
describe('TRUST_PROXY (e2e)', () => {
  let database: TestDatabase;

  beforeAll(async () => {
    database = await createTestDatabase();
  });

  afterAll(async () => {
    await database.drop();
  });

  /** An app with this TRUST_PROXY (and more env) for the enclosing describe, on the file's database. */
  function appWith(env: Record<string, string>): () => TestApp {
    let t: TestApp | undefined;
    beforeAll(async () => {
      t = await createTestApp({ database, env });
    });
    afterAll(async () => {
      await t?.close();
    });
    return () => {
      if (!t) throw new Error('the app is not started');
      return t;
    };
  }

  /** Signs in from `remoteAddress` with the given X-Forwarded-For, and reads back the address the session stored. */
  async function sessionAddress(t: TestApp, remoteAddress: string, forwardedFor?: string): Promise<string | null> {
    const email = uniqueEmail('proxied');
    const password = strongPassword();
    const registered = await t.app.inject({
      method: 'POST',
      url: '/v1/auth/register',
      payload: { email, password, name: 'Proxied' },
      // Setup calls come from addresses of their own, so they spend none of the tested counters.
      remoteAddress: forgedAddress(),
    });
    expect(registered.statusCode).toBe(201);
    const login = await t.app.inject({
      method: 'POST',
      url: '/v1/auth/login',
      payload: { email, password },
      remoteAddress,
      headers: forwardedFor === undefined ? {} : { 'x-forwarded-for': forwardedFor },
    });
    expect(login.statusCode).toBe(200);
    const sessions = await t.app.inject({
      method: 'GET',
      url: '/v1/auth/sessions',
      headers: bearer(login.json().accessToken as string),
      remoteAddress: forgedAddress(),
    });
    const current = (sessions.json() as Array<{ current: boolean; ip: string | null }>).find((s) => s.current);
    return current?.ip ?? null;
  }

  describe('a hop count: TRUST_PROXY=1 (one nginx in front)', () => {
    const app = appWith({ TRUST_PROXY: '1', RATE_LIMIT_PER_MINUTE: String(GENERAL_LIMIT) });

    it('rate limits a client that writes a new X-Forwarded-For entry on every request', async () => {
      const client = '203.0.113.7';
      const statuses: number[] = [];
      for (let i = 0; i <= GENERAL_LIMIT; i++) {
        const res = await app().app.inject({
          method: 'GET',
          url: '/v1/billing/plans',
          remoteAddress: PROXY,
          // The client sent `X-Forwarded-For: <forged>`; nginx appended the address it saw.
          headers: { 'x-forwarded-for': `${forgedAddress()}, ${client}` },
        });
        statuses.push(res.statusCode);
      }

      expect(statuses).toEqual([...Array<number>(GENERAL_LIMIT).fill(200), 429]);
      // Another client behind the same proxy has a counter of its own.
      const other = await app().app.inject({
        method: 'GET',
        url: '/v1/billing/plans',
        remoteAddress: PROXY,
        headers: { 'x-forwarded-for': `${forgedAddress()}, 203.0.113.8` },
      });
      expect(other.statusCode).toBe(200);
    });

    it('stores the address the proxy saw in the session, not the forged one', async () => {
      await expect(sessionAddress(app(), PROXY, '192.0.2.66, 203.0.113.9')).resolves.toBe('203.0.113.9');
    });

    it('takes the peer itself when no proxy forwarded anything', async () => {
      await expect(sessionAddress(app(), '203.0.113.10')).resolves.toBe('203.0.113.10');
    });
  });

  describe('two hops: TRUST_PROXY=2 (a load balancer, then nginx)', () => {
    const app = appWith({ TRUST_PROXY: '2' });

    it('takes the address the outer proxy saw', async () => {
      await expect(sessionAddress(app(), PROXY, '192.0.2.66, 203.0.113.11, 10.0.0.9')).resolves.toBe('203.0.113.11');
    });
  });

  describe('addresses: TRUST_PROXY=10.0.0.0/8', () => {
    const app = appWith({ TRUST_PROXY: '10.0.0.0/8' });

    it('skips every trusted proxy from the right and takes the first other address', async () => {
      await expect(sessionAddress(app(), PROXY, '192.0.2.66, 203.0.113.12, 10.0.0.9')).resolves.toBe('203.0.113.12');
    });

    it('ignores X-Forwarded-For from a peer that is not a trusted proxy', async () => {
      await expect(sessionAddress(app(), '203.0.113.13', '192.0.2.66')).resolves.toBe('203.0.113.13');
    });
  });

  describe('an IPv4-mapped range: TRUST_PROXY=::ffff:0:0/96 (why production counts it as all of IPv4)', () => {
    const app = appWith({ TRUST_PROXY: '::ffff:0:0/96' });

    it('trusts any IPv4 peer, so the leftmost X-Forwarded-For entry, written by the client, is taken', async () => {
      await expect(sessionAddress(app(), '203.0.113.14', '192.0.2.67')).resolves.toBe('192.0.2.67');
    });
  });
});
