import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { randomBytes } from 'node:crypto';
import { PrismaService } from '@app/database';
import { bearer, login, registerAndLogin, strongPassword, uniqueEmail } from './utils/auth.js';
import { extractToken } from './utils/smtp-server.js';
import { expectProblem, VALIDATION_FAILED } from './utils/problem.js';
import { USER_KEYS, INVALID_TOKEN, EMAIL_ALREADY_VERIFIED, EMAIL_TAKEN, MailTestApp } from './utils/mail-app.js';

describe('auth: registration and email verification (e2e)', () => {
  const h = new MailTestApp();
  const { post, me, verify, verificationMail, register } = h;

  beforeAll(() => h.start());
  afterAll(() => h.close());

  describe('registration and email verification', () => {
    it('creates an unverified account, emails a working single-use token, and verifies the address', async () => {
      const email = uniqueEmail('verify');
      const password = strongPassword();

      const res = await register({ email, password, name: 'Ada' });

      expect(res.statusCode).toBe(201);
      expect(Object.keys(res.json()).sort()).toEqual(USER_KEYS);
      expect(res.body).not.toMatch(/passwordHash|argon2/);
      expect(res.json()).toMatchObject({
        email,
        name: 'Ada',
        role: 'USER',
        status: 'ACTIVE',
        emailVerified: false,
        pendingEmail: null,
      });

      const mail = await verificationMail(email);
      const token = extractToken(mail.text);
      expect(mail.to).toEqual([email]);
      expect(mail.envelopeTo).toEqual([email]);
      expect(token).toMatch(/^[A-Za-z0-9_-]{43}$/);
      expect(mail.text).toContain(`${h.t.config.app.frontendUrl}/verify-email?token=${encodeURIComponent(token)}`);

      const session = bearer((await login(h.t.app, email, password)).accessToken);
      // Read (and cached) before the verification: the next read must not be served stale.
      expect((await me(session)).json()).toMatchObject({ email, emailVerified: false });

      const verified = await verify(token);
      expect(verified.statusCode).toBe(204);
      expect(verified.body).toBe('');
      expect((await me(session)).json()).toMatchObject({ email, emailVerified: true, pendingEmail: null });

      expectProblem(await verify(token), INVALID_TOKEN, '/v1/auth/email/verify');
      expectProblem(await verify(randomBytes(32).toString('base64url')), INVALID_TOKEN, '/v1/auth/email/verify');
      expectProblem(
        await post('/v1/auth/email/resend', undefined, session),
        EMAIL_ALREADY_VERIFIED,
        '/v1/auth/email/resend',
      );
    });

    it('resend issues a new token and the earlier one stops working', async () => {
      const account = await registerAndLogin(h.t.app);
      const first = await verificationMail(account.email);
      const oldToken = extractToken(first.text);

      const res = await post('/v1/auth/email/resend', undefined, account.auth);

      expect(res.statusCode).toBe(202);
      const second = await verificationMail(account.email, [first]);
      const newToken = extractToken(second.text);
      expect(newToken).not.toBe(oldToken);
      expectProblem(await verify(oldToken), INVALID_TOKEN, '/v1/auth/email/verify');
      expect((await verify(newToken)).statusCode).toBe(204);
      expect((await me(account.auth)).json().emailVerified).toBe(true);
    });

    it('stores tokens hashed: no column of any user_tokens row holds the raw token', async () => {
      const account = await registerAndLogin(h.t.app);
      const token = extractToken((await verificationMail(account.email)).text);
      const prisma = h.t.app.get(PrismaService);

      const mine = await prisma.userToken.findMany({ where: { userId: account.id } });
      const rows = await prisma.$queryRaw<
        Array<{ row: string }>
      >`SELECT row_to_json(t)::text AS row FROM user_tokens t`;

      expect(mine).toHaveLength(1);
      expect(mine[0]).toMatchObject({ purpose: 'EMAIL_VERIFICATION', email: account.email, usedAt: null });
      expect(rows.length).toBeGreaterThan(0);
      for (const { row } of rows) expect(row).not.toContain(token);
    });

    it('refuses an expired token', async () => {
      const account = await registerAndLogin(h.t.app);
      const token = extractToken((await verificationMail(account.email)).text);
      const expired = await h.t.app.get(PrismaService).userToken.updateMany({
        where: { userId: account.id, purpose: 'EMAIL_VERIFICATION', usedAt: null },
        data: { expiresAt: new Date(Date.now() - 1_000) },
      });
      expect(expired.count).toBe(1);

      expectProblem(await verify(token), INVALID_TOKEN, '/v1/auth/email/verify');
      expect((await me(account.auth)).json().emailVerified).toBe(false);
    });
  });

  describe('registration validation', () => {
    const valid = () => ({ email: uniqueEmail('reg'), password: strongPassword(), name: 'Valid Name' });

    it.each([
      [
        'a common password',
        { password: 'password123' },
        [{ field: 'password', message: 'password is too common; choose a less predictable one' }],
      ],
      [
        'a 7-character password',
        { password: 'Kx7#pQ2' },
        [{ field: 'password', message: 'password must be at least 8 characters' }],
      ],
      [
        'a 129-character password',
        { password: 'Kx7#pQ2z'.repeat(16) + 'W' },
        [{ field: 'password', message: 'password must be at most 128 characters' }],
      ],
      [
        'a password containing the email local part',
        { email: 'marguerite@example.com', password: 'Marguerite-blue-42' },
        [{ field: 'password', message: 'password must not contain your email address' }],
      ],
      ['a malformed email', { email: 'not-an-email' }, [{ field: 'email', message: 'email must be an email' }]],
      [
        'a missing name',
        { name: undefined },
        [
          { field: 'name', message: 'name must be on one line' },
          { field: 'name', message: 'name must be longer than or equal to 1 characters' },
          { field: 'name', message: 'name must be a string' },
        ],
      ],
      ['an extra role field', { role: 'ADMIN' }, [{ field: 'role', message: 'property role should not exist' }]],
    ])('refuses %s with a 400 naming the field, and creates nothing', async (_label, overrides, errors) => {
      const body = { ...valid(), ...overrides };
      const count = () => h.t.app.get(PrismaService).user.count();
      const before = await count();

      const res = await post('/v1/auth/register', body);

      expectProblem(res, VALIDATION_FAILED, '/v1/auth/register', { errors });
      expect(await count()).toBe(before);
    });

    it('refuses an email already registered in another case with a 409', async () => {
      expect((await register({ email: 'Ada@X.com', password: strongPassword(), name: 'Ada' })).statusCode).toBe(201);

      const res = await register({ email: 'ada@x.com', password: strongPassword(), name: 'Other Ada' });

      expectProblem(res, EMAIL_TAKEN, '/v1/auth/register');
      expect(
        await h.t.app.get(PrismaService).user.count({ where: { email: { equals: 'ada@x.com', mode: 'insensitive' } } }),
      ).toBe(1);
    });
  });
});
