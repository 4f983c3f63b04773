import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { randomBytes } from 'node:crypto';
import { loadConfig } from '@app/config';
import { PrismaService } from '@app/database';
import { createAccountWithRole, login, registerAndLogin, strongPassword, type TestAccount } from './utils/auth.js';
import { expectProblem, VALIDATION_FAILED } from './utils/problem.js';
import { startTestSmtpServer, type TestSmtpServer } from './utils/smtp-server.js';
import { createTestApp, testEnv, type TestApp } from './utils/test-app.js';

/** Characters that render as nothing, so `ad<x>min@…` looks like `admin@…`. */
const INVISIBLES = [
  ['a zero-width space', '\u200B'],
  ['a soft hyphen', '\u00AD'],
  ['a zero-width joiner', '\u200D'],
  ['a right-to-left override', '\u202E'],
  ['a leading byte order mark', '\uFEFF'],
  // Blank, but not default-ignorable: nor does NFKC make a space of them.
  ['a Braille pattern blank', '\u2800'],
  ['an Ogham space mark', '\u1680'],
  ['a line separator', '\u2028'],
  ['a halfwidth Hangul filler', '\uFFA0'],
  ['a Hangul choseong filler', '\u115F'],
] as const;

const hex = () => randomBytes(4).toString('hex');
/** Printable ASCII as its full-width compatibility form (`a` → `ａ`), which NFKC maps back. */
const fullWidth = (text: string) => text.replace(/[!-~]/g, (c) => String.fromCodePoint(c.codePointAt(0)! + 0xfee0));
/** The character inside the local part, or first for the BOM (which `trim()` would silently drop). */
const withInvisible = (char: string, local: string) =>
  char === '\uFEFF' ? `${char}${local}@example.com` : `${local.slice(0, 2)}${char}${local.slice(2)}@example.com`;

/**
 * Every place an email address enters: normalised to one form (NFKC, trimmed, lower-cased) and
 * refused when it carries invisible characters (ASVS 5.0 V2.2.1: input validated against its
 * expected structure; look-alike addresses must not make distinct accounts).
 */
describe('email addresses as input (e2e)', () => {
  let t: TestApp;
  let smtp: TestSmtpServer;
  let admin: TestAccount;

  beforeAll(async () => {
    smtp = await startTestSmtpServer();
    t = await createTestApp({ env: { SMTP_URL: smtp.url } });
    admin = await createAccountWithRole(t.app, 'ADMIN');
  });

  afterAll(async () => {
    await t?.close();
    await smtp?.close();
  });

  const post = (url: string, payload: Record<string, unknown>) => t.app.inject({ method: 'POST', url, payload });

  describe.each(INVISIBLES)('an address with %s', (_label, char) => {
    const invisible = (field: string) => ({
      errors: [{ field, message: `${field} must not contain invisible characters` }],
    });

    it('is refused by registration, and no look-alike account is created', async () => {
      const victim = await registerAndLogin(t.app, { email: `victim-${hex()}@example.com` });
      const lookAlike = withInvisible(char, victim.email.split('@')[0]);

      const res = await post('/v1/auth/register', { email: lookAlike, password: strongPassword(), name: 'Mallory' });

      expectProblem(res, VALIDATION_FAILED, '/v1/auth/register', invisible('email'));
      expect(await t.app.get(PrismaService).user.count({ where: { email: { contains: char } } })).toBe(0);
    });

    it('is refused by login and forgot-password with a 400 on email', async () => {
      const email = withInvisible(char, `someone-${hex()}`);

      expectProblem(
        await post('/v1/auth/login', { email, password: 'whatever-password' }),
        VALIDATION_FAILED,
        '/v1/auth/login',
        invisible('email'),
      );
      expectProblem(
        await post('/v1/auth/password/forgot', { email }),
        VALIDATION_FAILED,
        '/v1/auth/password/forgot',
        invisible('email'),
      );
    });

    it('is refused as a new address by PATCH /v1/users/me', async () => {
      const account = await registerAndLogin(t.app);

      const res = await t.app.inject({
        method: 'PATCH',
        url: '/v1/users/me',
        headers: account.auth,
        payload: { email: withInvisible(char, `moved-${hex()}`), currentPassword: account.password },
      });

      expectProblem(res, VALIDATION_FAILED, '/v1/users/me', invisible('email'));
      expect((await t.app.get(PrismaService).user.findUniqueOrThrow({ where: { id: account.id } })).pendingEmail).toBe(
        null,
      );
    });

    it('is refused as the admin emailPrefix filter', async () => {
      const prefix = encodeURIComponent(`ad${char}min`);

      const res = await t.app.inject({ method: 'GET', url: `/v1/users?emailPrefix=${prefix}`, headers: admin.auth });

      // A byte order mark is also white space to the filter's no-spaces rule: both are reported.
      expect({ status: res.statusCode, code: res.json().code }).toEqual({ status: 400, code: 'VALIDATION_FAILED' });
      expect(res.json().errors).toContainEqual(invisible('emailPrefix').errors[0]);
      expect(res.json().errors.every((error: { field: string }) => error.field === 'emailPrefix')).toBe(true);
    });
  });

  describe('an address under the reserved .invalid domain (where deleted accounts get their placeholder)', () => {
    const reserved = { errors: [{ field: 'email', message: 'email must not be under the reserved .invalid domain' }] };
    const spellings = (id: string) => [
      `deleted+${id}@deleted.invalid`,
      `someone-${hex()}@mail.INVALID`,
      `${fullWidth(`deleted+${id}`)}@${fullWidth('deleted.invalid')}`,
    ];

    it("is refused by registration: nobody can take a deleted account's placeholder", async () => {
      const victim = await registerAndLogin(t.app);

      for (const email of spellings(victim.id)) {
        const res = await post('/v1/auth/register', { email, password: strongPassword(), name: 'Mallory' });

        expectProblem(res, VALIDATION_FAILED, '/v1/auth/register', reserved);
      }
      expect(await t.app.get(PrismaService).user.count({ where: { email: { endsWith: '.invalid' } } })).toBe(0);
    });

    it('is refused by login, forgot-password and as a new address by PATCH /v1/users/me', async () => {
      const account = await registerAndLogin(t.app);
      const [email] = spellings(account.id);

      expectProblem(
        await post('/v1/auth/login', { email, password: 'whatever-password' }),
        VALIDATION_FAILED,
        '/v1/auth/login',
        reserved,
      );
      expectProblem(
        await post('/v1/auth/password/forgot', { email }),
        VALIDATION_FAILED,
        '/v1/auth/password/forgot',
        reserved,
      );
      expectProblem(
        await t.app.inject({
          method: 'PATCH',
          url: '/v1/users/me',
          headers: account.auth,
          payload: { email, currentPassword: account.password },
        }),
        VALIDATION_FAILED,
        '/v1/users/me',
        reserved,
      );
    });
  });

  describe('combining marks', () => {
    const lookAlike = {
      errors: [
        {
          field: 'email',
          message: 'email must not contain combining marks on Latin, Greek or Cyrillic letters, digits or symbols',
        },
      ],
    };

    it.each([
      [
        'ALİCE, which lower-cases to i + U+0307 COMBINING DOT ABOVE',
        (local: string) => local.toUpperCase().replace('I', 'İ'),
      ],
      ['i + U+0307 typed as is', (local: string) => local.replace('i', 'i\u0307')],
      ['a mark on a digit', (local: string) => `${local}1\u0301`],
    ])('refuses a look-alike of an existing address: %s', async (_label, spell) => {
      const victim = await registerAndLogin(t.app, { email: `alice-${hex()}@example.com` });
      const email = `${spell(victim.email.split('@')[0])}@example.com`;

      const res = await post('/v1/auth/register', { email, password: strongPassword(), name: 'Mallory' });

      expectProblem(res, VALIDATION_FAILED, '/v1/auth/register', lookAlike);
      expect(await t.app.get(PrismaService).user.count({ where: { email: { contains: '\u0307' } } })).toBe(0);
      expectProblem(
        await post('/v1/auth/password/forgot', { email }),
        VALIDATION_FAILED,
        '/v1/auth/password/forgot',
        lookAlike,
      );
    });

    it('takes a decomposed accent that NFKC composes, and marks of scripts written with them', async () => {
      const suffix = hex();
      const decomposed = await post('/v1/auth/register', {
        email: `jose\u0301-${suffix}@example.com`,
        password: strongPassword(),
        name: 'José',
      });
      const devanagari = await post('/v1/auth/register', {
        email: `नमस्ते-${suffix}@example.com`,
        password: strongPassword(),
        name: 'Namaste',
      });

      expect([decomposed.statusCode, devanagari.statusCode]).toEqual([201, 201]);
      expect(decomposed.json().email).toBe(`jos\u00e9-${suffix}@example.com`);
    });
  });

  it('stores a full-width address in its NFKC form: one account, reachable by either spelling', async () => {
    const local = `wide-${hex()}`;
    const typed = `${fullWidth(local.toUpperCase())}@${fullWidth('EXAMPLE')}.${fullWidth('com')}`;
    const password = strongPassword();

    const res = await post('/v1/auth/register', { email: typed, password, name: 'Wide' });

    expect(res.statusCode).toBe(201);
    expect(res.json().email).toBe(`${local}@example.com`);
    await expect(login(t.app, `${local}@example.com`, password)).resolves.toHaveProperty('accessToken');
    await expect(login(t.app, typed, password)).resolves.toHaveProperty('accessToken');
    const again = await post('/v1/auth/register', { email: `${local}@example.com`, password, name: 'Twin' });
    expect(again.json()).toMatchObject({ status: 409, code: 'USER_EMAIL_TAKEN' });
    expect((await post('/v1/auth/password/forgot', { email: typed })).statusCode).toBe(202);
    await expect(
      smtp.waitForMessage((m) => m.to.includes(`${local}@example.com`) && /^Reset your/.test(m.subject)),
    ).resolves.toMatchObject({ envelopeTo: [`${local}@example.com`] });
  });

  it('counts sign-in failures per normalised address: full-width spellings share one lockout', async () => {
    const limited = await createTestApp({
      database: t.database,
      env: { LOGIN_LOCKOUT_CLIENT_FAILURES: '3', LOGIN_LOCKOUT_ACCOUNT_FAILURES: '3' },
    });
    try {
      const account = await registerAndLogin(t.app, { email: `limit-${hex()}@example.com` });
      const [local, domain] = account.email.split('@');
      const spellings = [
        `${fullWidth(local)}@${domain}`,
        `${fullWidth(local)}@${fullWidth(domain)}`,
        `${local}@${fullWidth(domain)}`,
        account.email,
      ];
      const attempt = (email: string, i: number) =>
        limited.app.inject({
          method: 'POST',
          url: '/v1/auth/login',
          remoteAddress: `10.9.0.${i + 1}`,
          payload: { email, password: `wrong-password-${i}` },
        });

      for (const [i, email] of spellings.slice(0, 3).entries()) {
        expect({ i, status: (await attempt(email, i)).statusCode }).toEqual({ i, status: 401 });
      }
      const locked = await attempt(spellings[3], 3);
      expect(locked.json()).toMatchObject({ status: 429, code: 'LOGIN_LOCKED_OUT' });
    } finally {
      await limited.close();
    }
  });

  describe('the admin emailPrefix filter', () => {
    it('takes %, _ and the backslash literally (ASVS 5.0 V1.2.4: no LIKE wildcards from input)', async () => {
      const p = `lk${hex()}`;
      for (const local of [`${p}ab`, `${p}a_x`, `${p}%z`, `${p}zz`]) {
        await registerAndLogin(t.app, { email: `${local}@example.com` });
      }
      const listed = async (prefix: string) => {
        const res = await t.app.inject({
          method: 'GET',
          url: `/v1/users?emailPrefix=${encodeURIComponent(prefix)}&sort=email&order=asc`,
          headers: admin.auth,
        });
        expect(res.statusCode).toBe(200);
        return (res.json().items as Array<{ email: string }>).map((user) => user.email);
      };

      expect(await listed(`${p}a_`)).toEqual([`${p}a_x@example.com`]);
      expect(await listed(`${p}%`)).toEqual([`${p}%z@example.com`]);
      expect(await listed(`${p}\\`)).toEqual([]);
      expect(await listed(`${p.toUpperCase()}A`)).toEqual([`${p}a_x@example.com`, `${p}ab@example.com`]);
    });
  });

  describe('SEED_ADMIN_EMAIL', () => {
    const configWith = (email: string) => loadConfig(testEnv(t.database, t.cachePrefix, { SEED_ADMIN_EMAIL: email }));

    it('is refused at boot with an invisible character', () => {
      expect(() => configWith('ad\u200Bmin@example.com')).toThrow(
        /SEED_ADMIN_EMAIL: must not contain invisible characters/,
      );
    });

    it('is refused at boot under the reserved .invalid domain', () => {
      expect(() => configWith('admin@example.invalid')).toThrow(
        /SEED_ADMIN_EMAIL: must not be under the reserved .invalid domain/,
      );
    });

    it('is normalised like every other address', () => {
      expect(configWith(' ＡＤＭＩＮ@Example.COM ').seed.adminEmail).toBe('admin@example.com');
    });
  });
});
