import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { randomBytes } from 'node:crypto';
import { newOpaqueToken } from '@app/common';
import { PrismaService } from '@app/database';
import {
  bearer,
  createAccountWithRole,
  login,
  registerAndLogin,
  strongPassword,
  uniqueEmail,
  type TestAccount,
} from './utils/auth.js';
import { extractToken, startTestSmtpServer, type ParsedMessage, type TestSmtpServer } from './utils/smtp-server.js';
import { createTestApp, type TestApp } from './utils/test-app.js';
import { expectProblem, VALIDATION_FAILED } from './utils/problem.js';

const USER_KEYS = ['createdAt', 'email', 'emailVerified', 'id', 'name', 'pendingEmail', 'role', 'status', 'updatedAt'];

/** The fixed part of each problem body; `instance` and `requestId` are added per response. */
const INVALID_TOKEN = {
  type: 'urn:problem-type:invalid-or-expired-token',
  title: 'Bad Request',
  status: 400,
  detail: 'The token is invalid, expired or already used.',
  code: 'INVALID_OR_EXPIRED_TOKEN',
};
const EMAIL_ALREADY_VERIFIED = {
  type: 'urn:problem-type:email-already-verified',
  title: 'Conflict',
  status: 409,
  detail: 'This email address is already verified.',
  code: 'EMAIL_ALREADY_VERIFIED',
};
const EMAIL_TAKEN = {
  type: 'urn:problem-type:user-email-taken',
  title: 'Conflict',
  status: 409,
  detail: 'An account with this email already exists.',
  code: 'USER_EMAIL_TAKEN',
};
const INVALID_CREDENTIALS = {
  type: 'urn:problem-type:invalid-credentials',
  title: 'Unauthorized',
  status: 401,
  detail: 'The email or password is incorrect.',
  code: 'INVALID_CREDENTIALS',
};

describe('auth: email verification, password reset and change, email change (e2e)', () => {
  let t: TestApp;
  let smtp: TestSmtpServer;

  beforeAll(async () => {
    smtp = await startTestSmtpServer();
    t = await createTestApp({ env: { SMTP_URL: smtp.url } });
  });

  afterAll(async () => {
    await t?.close();
    await smtp?.close();
  });

  const post = (url: string, payload?: Record<string, unknown>, headers: Record<string, string> = {}) =>
    t.app.inject({ method: 'POST', url, payload, headers });
  const me = (headers: Record<string, string>) => t.app.inject({ method: 'GET', url: '/v1/users/me', headers });
  const verify = (token: string) => post('/v1/auth/email/verify', { token });
  const attemptLogin = (email: string, password: string) => post('/v1/auth/login', { email, password });
  const cancel = (token: string) => post('/v1/auth/email/cancel-change', { token });
  const changeEmail = (account: TestAccount, email: string) =>
    t.app.inject({
      method: 'PATCH',
      url: '/v1/users/me',
      headers: account.auth,
      payload: { email, currentPassword: account.password },
    });

  /** The first message to `address` whose subject matches, received already or within 5 s. */
  const mailTo = (address: string, subject: RegExp, except: ParsedMessage[] = []) =>
    smtp.waitForMessage((m) => m.to.includes(address) && subject.test(m.subject) && !except.includes(m));
  const verificationMail = (address: string, except: ParsedMessage[] = []) =>
    mailTo(address, /^Verify your email address/, except);
  const resetMail = (address: string) => mailTo(address, /^Reset your .* password$/);
  const confirmMail = (address: string) => mailTo(address, /^Confirm your new email address/);
  const noticeMail = (address: string) => mailTo(address, /email address is being changed$/);

  /** Moves `account` to a new address, confirmed from it; returns the cancel link mailed to the old one. */
  async function moveAccount(account: TestAccount, newAddress = uniqueEmail('attacker')) {
    expect((await changeEmail(account, newAddress)).statusCode).toBe(200);
    const ownerLink = extractToken((await noticeMail(account.email)).text);
    expect((await verify(extractToken((await confirmMail(newAddress)).text))).statusCode).toBe(204);
    return { newAddress, ownerLink };
  }

  async function register(body: { email: string; password: string; name: string }) {
    return post('/v1/auth/register', body);
  }

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
      expect(mail.text).toContain(`${t.config.app.frontendUrl}/verify-email?token=${encodeURIComponent(token)}`);

      const session = bearer((await login(t.app, email, password)).accessToken);
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
      const account = await registerAndLogin(t.app);
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
      const account = await registerAndLogin(t.app);
      const token = extractToken((await verificationMail(account.email)).text);
      const prisma = t.app.get(PrismaService);

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
      const account = await registerAndLogin(t.app);
      const token = extractToken((await verificationMail(account.email)).text);
      const expired = await t.app.get(PrismaService).userToken.updateMany({
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
      const count = () => t.app.get(PrismaService).user.count();
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
        await t.app.get(PrismaService).user.count({ where: { email: { equals: 'ada@x.com', mode: 'insensitive' } } }),
      ).toBe(1);
    });
  });

  describe('forgotten password', () => {
    it('answers a known and an unknown email alike, and mails only the known one', async () => {
      const account = await registerAndLogin(t.app);
      const unknown = uniqueEmail('nobody');

      const known = await post('/v1/auth/password/forgot', { email: account.email });
      const missing = await post('/v1/auth/password/forgot', { email: unknown });

      expect({ status: known.statusCode, body: known.body }).toEqual({ status: 202, body: '' });
      expect({ status: missing.statusCode, body: missing.body }).toEqual({ status: 202, body: '' });
      const mail = await resetMail(account.email);
      expect(mail.text).toContain(
        `${t.config.app.frontendUrl}/reset-password?token=${encodeURIComponent(extractToken(mail.text))}`,
      );
      await expect(smtp.waitForMessage((m) => m.to.includes(unknown), 1_000)).rejects.toThrow(/No matching message/);
    });

    it('resets the password with the emailed token, ends every session and sends a notice', async () => {
      const account = await registerAndLogin(t.app);
      const second = await login(t.app, account.email, account.password);
      await post('/v1/auth/password/forgot', { email: account.email });
      const token = extractToken((await resetMail(account.email)).text);
      const newPassword = strongPassword();

      const res = await post('/v1/auth/password/reset', { token, newPassword });

      expect(res.statusCode).toBe(204);
      expectProblem(await attemptLogin(account.email, account.password), INVALID_CREDENTIALS, '/v1/auth/login');
      expect((await attemptLogin(account.email, newPassword)).statusCode).toBe(200);
      for (const session of [account, second]) {
        expect((await me(bearer(session.accessToken))).statusCode).toBe(401);
        expect((await post('/v1/auth/refresh', { refreshToken: session.refreshToken })).statusCode).toBe(401);
      }
      expectProblem(
        await post('/v1/auth/password/reset', { token, newPassword: strongPassword() }),
        INVALID_TOKEN,
        '/v1/auth/password/reset',
      );
      const notice = await mailTo(account.email, /password was changed$/);
      expect(notice.text).not.toContain('Token:');
    });

    it.each([
      [
        'a common password (refused by the DTO)',
        () => 'password123',
        'newPassword is too common; choose a less predictable one',
      ],
      [
        'a password built from the email (refused by the service)',
        (email: string) => `${email.split('@')[0]}-Zq9`,
        'newPassword must not contain your email address',
      ],
    ])('refuses %s with a 400 and keeps the token usable', async (_label, badPassword, message) => {
      const account = await registerAndLogin(t.app);
      await post('/v1/auth/password/forgot', { email: account.email });
      const token = extractToken((await resetMail(account.email)).text);

      const refused = await post('/v1/auth/password/reset', { token, newPassword: badPassword(account.email) });

      expectProblem(refused, VALIDATION_FAILED, '/v1/auth/password/reset', {
        errors: [{ field: 'newPassword', message }],
      });
      expect((await attemptLogin(account.email, account.password)).statusCode).toBe(200);
      // A policy failure must not burn the token: the user fixes the password and retries.
      expect((await post('/v1/auth/password/reset', { token, newPassword: strongPassword() })).statusCode).toBe(204);
    });
  });

  describe('password change', () => {
    it('refuses a wrong current password with a 400 on currentPassword', async () => {
      const account = await registerAndLogin(t.app);

      const res = await post(
        '/v1/auth/password/change',
        { currentPassword: 'not-my-password', newPassword: strongPassword() },
        account.auth,
      );

      expectProblem(res, { ...VALIDATION_FAILED, detail: 'The password is incorrect.' }, '/v1/auth/password/change', {
        errors: [{ field: 'currentPassword', message: 'currentPassword is incorrect' }],
      });
      expect((await attemptLogin(account.email, account.password)).statusCode).toBe(200);
    });

    it('changes the password, keeps the caller signed in and ends every other session', async () => {
      const account = await registerAndLogin(t.app);
      const other = await login(t.app, account.email, account.password);
      const newPassword = strongPassword();

      const res = await post(
        '/v1/auth/password/change',
        { currentPassword: account.password, newPassword },
        account.auth,
      );

      expect(res.statusCode).toBe(204);
      expect((await me(account.auth)).statusCode).toBe(200);
      expect((await post('/v1/auth/refresh', { refreshToken: account.refreshToken })).statusCode).toBe(200);
      expect((await me(bearer(other.accessToken))).statusCode).toBe(401);
      expect((await post('/v1/auth/refresh', { refreshToken: other.refreshToken })).statusCode).toBe(401);
      expectProblem(await attemptLogin(account.email, account.password), INVALID_CREDENTIALS, '/v1/auth/login');
      expect((await attemptLogin(account.email, newPassword)).statusCode).toBe(200);
      await expect(mailTo(account.email, /password was changed$/)).resolves.toMatchObject({ to: [account.email] });
    });
  });

  describe('reset links', () => {
    async function resetLinkFor(email: string) {
      expect((await post('/v1/auth/password/forgot', { email })).statusCode).toBe(202);
      return extractToken((await resetMail(email)).text);
    }

    it('a password change retires an outstanding reset link (ASVS 5.0 V6.4.3)', async () => {
      const account = await registerAndLogin(t.app);
      const token = await resetLinkFor(account.email);
      const changed = strongPassword();

      const res = await post(
        '/v1/auth/password/change',
        { currentPassword: account.password, newPassword: changed },
        account.auth,
      );

      expect(res.statusCode).toBe(204);
      expectProblem(
        await post('/v1/auth/password/reset', { token, newPassword: strongPassword() }),
        INVALID_TOKEN,
        '/v1/auth/password/reset',
      );
      expect((await attemptLogin(account.email, changed)).statusCode).toBe(200);
    });

    it('a reset retires every other outstanding reset link (ASVS 5.0 V6.4.3)', async () => {
      const account = await registerAndLogin(t.app);
      const used = await resetLinkFor(account.email);
      // A second live link, as two concurrent forgot-password requests can leave.
      const other = newOpaqueToken();
      await t.app.get(PrismaService).userToken.create({
        data: {
          userId: account.id,
          purpose: 'PASSWORD_RESET',
          tokenHash: other.hash,
          email: account.email,
          expiresAt: new Date(Date.now() + 3_600_000),
        },
      });

      expect((await post('/v1/auth/password/reset', { token: used, newPassword: strongPassword() })).statusCode).toBe(
        204,
      );

      expectProblem(
        await post('/v1/auth/password/reset', { token: other.token, newPassword: strongPassword() }),
        INVALID_TOKEN,
        '/v1/auth/password/reset',
      );
    });

    it('a link sent to the old address stops working once an email change is confirmed (ASVS 5.0 V6.4.3)', async () => {
      const account = await registerAndLogin(t.app);
      const token = await resetLinkFor(account.email);
      const newAddress = uniqueEmail('moved');
      expect((await changeEmail(account, newAddress)).statusCode).toBe(200);
      expect((await verify(extractToken((await confirmMail(newAddress)).text))).statusCode).toBe(204);

      const res = await post('/v1/auth/password/reset', { token, newPassword: strongPassword() });

      expectProblem(res, INVALID_TOKEN, '/v1/auth/password/reset');
      expect((await attemptLogin(newAddress, account.password)).statusCode).toBe(200);
    });

    it("is bound to the address it was sent to: refused while the account's address differs (ASVS 5.0 V6.4.3)", async () => {
      const account = await registerAndLogin(t.app);
      const token = await resetLinkFor(account.email);
      const prisma = t.app.get(PrismaService);
      // Moved behind the API's back: no retirement happens, only the binding can refuse the link.
      await prisma.user.update({ where: { id: account.id }, data: { email: uniqueEmail('elsewhere') } });

      const refused = await post('/v1/auth/password/reset', { token, newPassword: strongPassword() });

      expectProblem(refused, INVALID_TOKEN, '/v1/auth/password/reset');
      await prisma.user.update({ where: { id: account.id }, data: { email: account.email } });
      expect((await post('/v1/auth/password/reset', { token, newPassword: strongPassword() })).statusCode).toBe(204);
    });

    it('an administrator disabling the account retires its reset links (ASVS 5.0 V6.4.3)', async () => {
      const admin = await createAccountWithRole(t.app, 'ADMIN');
      const account = await registerAndLogin(t.app);
      const token = await resetLinkFor(account.email);
      const status = (value: string) =>
        t.app.inject({
          method: 'PATCH',
          url: `/v1/users/${account.id}`,
          headers: admin.auth,
          payload: { status: value },
        });

      expect((await status('DISABLED')).statusCode).toBe(200);
      expect((await status('ACTIVE')).statusCode).toBe(200);

      expectProblem(
        await post('/v1/auth/password/reset', { token, newPassword: strongPassword() }),
        INVALID_TOKEN,
        '/v1/auth/password/reset',
      );
    });

    it('refuses a link while the account is disabled, and leaves it usable (ASVS 5.0 V6.4.3)', async () => {
      const account = await registerAndLogin(t.app);
      const token = await resetLinkFor(account.email);
      const prisma = t.app.get(PrismaService);
      // Disabled behind the API's back: the link is not retired, only the status check can refuse it.
      await prisma.user.update({ where: { id: account.id }, data: { status: 'DISABLED' } });

      expectProblem(
        await post('/v1/auth/password/reset', { token, newPassword: strongPassword() }),
        INVALID_TOKEN,
        '/v1/auth/password/reset',
      );
      await prisma.user.update({ where: { id: account.id }, data: { status: 'ACTIVE' } });
      expect((await post('/v1/auth/password/reset', { token, newPassword: strongPassword() })).statusCode).toBe(204);
    });
  });

  describe('email change', () => {
    it('keeps the address until the new one is confirmed from its inbox, then switches sign-in to it', async () => {
      const account = await registerAndLogin(t.app);
      const newAddress = uniqueEmail('moved');
      const typed = `  ${newAddress.toUpperCase()} `;

      const res = await changeEmail(account, typed);

      expect(res.statusCode).toBe(200);
      expect(res.json()).toMatchObject({ email: account.email, pendingEmail: newAddress, emailVerified: false });
      const mail = await confirmMail(newAddress);
      expect(mail.envelopeTo).toEqual([newAddress]);
      const token = extractToken(mail.text);
      expect(mail.text).toContain(
        `${t.config.app.frontendUrl}/confirm-email-change?token=${encodeURIComponent(token)}`,
      );

      expect((await verify(token)).statusCode).toBe(204);

      expect((await me(account.auth)).json()).toMatchObject({
        email: newAddress,
        pendingEmail: null,
        emailVerified: true,
      });
      expect((await attemptLogin(newAddress, account.password)).statusCode).toBe(200);
      expectProblem(await attemptLogin(account.email, account.password), INVALID_CREDENTIALS, '/v1/auth/login');
    });

    it('tells the old address, with a single-use link that cancels the change (ASVS 5.0 V6.3.7)', async () => {
      const account = await registerAndLogin(t.app);
      const newAddress = uniqueEmail('moved');

      expect((await changeEmail(account, newAddress)).statusCode).toBe(200);

      const notice = await noticeMail(account.email);
      const cancelToken = extractToken(notice.text);
      expect(notice.envelopeTo).toEqual([account.email]);
      expect(notice.text).toContain(`change its email address to ${newAddress}.`);
      expect(notice.text).toContain(
        `${t.config.app.frontendUrl}/cancel-email-change?token=${encodeURIComponent(cancelToken)}`,
      );
      expect(cancelToken).not.toBe(extractToken((await confirmMail(newAddress)).text));
      const stored = await t.app.get(PrismaService).userToken.findMany({
        where: { userId: account.id, purpose: 'EMAIL_CHANGE_CANCEL' },
      });
      expect(stored.map(({ email, usedAt }) => ({ email, usedAt }))).toEqual([{ email: account.email, usedAt: null }]);
      expect(stored[0].tokenHash).not.toContain(cancelToken);
    });

    it.each([
      [
        'without the current password',
        {},
        {
          ...VALIDATION_FAILED,
          errors: [{ field: 'currentPassword', message: 'currentPassword is required to change the email' }],
        },
      ],
      [
        'with a wrong current password',
        { currentPassword: 'not-my-password' },
        {
          ...VALIDATION_FAILED,
          detail: 'The password is incorrect.',
          errors: [{ field: 'currentPassword', message: 'currentPassword is incorrect' }],
        },
      ],
    ])(
      'refuses a change %s: a stolen access token alone cannot move the account (ASVS 5.0 V7.5.1)',
      async (_label, password, problem) => {
        const account = await registerAndLogin(t.app);
        const newAddress = uniqueEmail('attacker');

        const res = await t.app.inject({
          method: 'PATCH',
          url: '/v1/users/me',
          headers: account.auth,
          payload: { email: newAddress, ...password },
        });

        expectProblem(res, problem, '/v1/users/me');
        expect((await me(account.auth)).json()).toMatchObject({ email: account.email, pendingEmail: null });
        expect(
          await t.app.get(PrismaService).userToken.count({ where: { userId: account.id, purpose: 'EMAIL_CHANGE' } }),
        ).toBe(0);
        await expect(smtp.waitForMessage((m) => m.to.includes(newAddress), 500)).rejects.toThrow(/No matching message/);
      },
    );

    it('refuses an address another account has with a 409 and changes nothing', async () => {
      const account = await registerAndLogin(t.app);
      const other = await registerAndLogin(t.app);

      const res = await changeEmail(account, other.email.toUpperCase());

      expectProblem(res, EMAIL_TAKEN, '/v1/users/me');
      expect((await me(account.auth)).json()).toMatchObject({ email: account.email, pendingEmail: null });
    });

    it('the cancel link drops a pending change, retires its confirmation link and ends every session (ASVS 5.0 V7.4.3)', async () => {
      const account = await registerAndLogin(t.app);
      const other = await login(t.app, account.email, account.password);
      const newAddress = uniqueEmail('attacker');
      expect((await changeEmail(account, newAddress)).statusCode).toBe(200);
      const cancelToken = extractToken((await noticeMail(account.email)).text);
      const confirmToken = extractToken((await confirmMail(newAddress)).text);

      const res = await cancel(cancelToken);

      expect({ status: res.statusCode, body: res.body }).toEqual({ status: 204, body: '' });
      for (const session of [account, other]) {
        expect((await me(bearer(session.accessToken))).statusCode).toBe(401);
        expect((await post('/v1/auth/refresh', { refreshToken: session.refreshToken })).statusCode).toBe(401);
      }
      expectProblem(await verify(confirmToken), INVALID_TOKEN, '/v1/auth/email/verify');
      expectProblem(await cancel(cancelToken), INVALID_TOKEN, '/v1/auth/email/cancel-change');
      const again = bearer((await login(t.app, account.email, account.password)).accessToken);
      expect((await me(again)).json()).toMatchObject({ email: account.email, pendingEmail: null });
      const events = await t.app.get(PrismaService).securityEvent.findMany({
        where: { userId: account.id, type: 'EMAIL_CHANGE_CANCELLED' },
      });
      expect(events.map((event) => event.details)).toEqual([{ reverted: false }]);
    });

    it('the cancel link reverts a change confirmed meanwhile: the account gets its old address back', async () => {
      const account = await registerAndLogin(t.app);
      const newAddress = uniqueEmail('attacker');
      expect((await changeEmail(account, newAddress)).statusCode).toBe(200);
      const cancelToken = extractToken((await noticeMail(account.email)).text);
      expect((await verify(extractToken((await confirmMail(newAddress)).text))).statusCode).toBe(204);
      expect((await me(account.auth)).json()).toMatchObject({ email: newAddress });

      expect((await cancel(cancelToken)).statusCode).toBe(204);

      expect((await me(account.auth)).statusCode).toBe(401);
      expectProblem(await attemptLogin(newAddress, account.password), INVALID_CREDENTIALS, '/v1/auth/login');
      const again = bearer((await login(t.app, account.email, account.password)).accessToken);
      expect((await me(again)).json()).toMatchObject({ email: account.email, pendingEmail: null, emailVerified: true });
    });

    it("a later change can't retire the owner's cancel link: it still reverts, and later cancel links stop working (ASVS 5.0 V7.4.3)", async () => {
      for (const attackerCancelsFirst of [false, true]) {
        const account = await registerAndLogin(t.app);
        const { newAddress: first, ownerLink } = await moveAccount(account);
        const second = uniqueEmail('attacker');
        // A second change, from the address just taken over: its cancel link goes to the attacker.
        expect((await changeEmail(account, second)).statusCode).toBe(200);
        const attackerLink = extractToken((await noticeMail(first)).text);
        if (attackerCancelsFirst) expect((await cancel(attackerLink)).statusCode).toBe(204);

        expect({ attackerCancelsFirst, status: (await cancel(ownerLink)).statusCode }).toEqual({
          attackerCancelsFirst,
          status: 204,
        });

        expectProblem(await cancel(attackerLink), INVALID_TOKEN, '/v1/auth/email/cancel-change');
        const again = bearer((await login(t.app, account.email, account.password)).accessToken);
        expect((await me(again)).json()).toMatchObject({ email: account.email, pendingEmail: null });
      }
    });

    it('keeps the address an account moved away from reserved while its cancel link lives (ASVS 5.0 V7.4.3)', async () => {
      const account = await registerAndLogin(t.app);
      const { ownerLink } = await moveAccount(account);

      const squat = await register({ email: account.email, password: strongPassword(), name: 'Squatter' });
      expectProblem(squat, EMAIL_TAKEN, '/v1/auth/register');
      const other = await registerAndLogin(t.app);
      expectProblem(await changeEmail(other, account.email), EMAIL_TAKEN, '/v1/users/me');

      expect((await cancel(ownerLink)).statusCode).toBe(204);
      expect((await login(t.app, account.email, account.password)).accessToken).toEqual(expect.any(String));
    });

    it('ends every session even when the old address went to another account: 409, and the link stays usable', async () => {
      const account = await registerAndLogin(t.app);
      const { ownerLink } = await moveAccount(account);
      // Taken behind the API's back (the reservation refuses it through the API).
      const prisma = t.app.get(PrismaService);
      const squatter = await prisma.user.create({
        data: { email: account.email, name: 'Squatter', passwordHash: '!' },
      });

      expectProblem(await cancel(ownerLink), EMAIL_TAKEN, '/v1/auth/email/cancel-change');

      expect((await me(account.auth)).statusCode).toBe(401);
      expect((await post('/v1/auth/refresh', { refreshToken: account.refreshToken })).statusCode).toBe(401);
      await prisma.user.delete({ where: { id: squatter.id } });
      expect((await cancel(ownerLink)).statusCode).toBe(204);
      expect((await login(t.app, account.email, account.password)).accessToken).toEqual(expect.any(String));
    });

    it('refuses a token of another kind on the cancel route', async () => {
      const account = await registerAndLogin(t.app);
      const verificationToken = extractToken((await verificationMail(account.email)).text);

      expectProblem(await cancel(verificationToken), INVALID_TOKEN, '/v1/auth/email/cancel-change');
      expect((await me(account.auth)).statusCode).toBe(200);
    });

    it.each([
      [
        'a password reset',
        async (account: TestAccount) => {
          await post('/v1/auth/password/forgot', { email: account.email });
          const token = extractToken((await resetMail(account.email)).text);
          return post('/v1/auth/password/reset', { token, newPassword: strongPassword() });
        },
      ],
      [
        'a password change',
        (account: TestAccount) =>
          post(
            '/v1/auth/password/change',
            { currentPassword: account.password, newPassword: strongPassword() },
            account.auth,
          ),
      ],
      ['signing out everywhere', (account: TestAccount) => post('/v1/auth/logout-all', undefined, account.auth)],
      [
        'an administrator disabling the account',
        async (account: TestAccount) => {
          const admin = await createAccountWithRole(t.app, 'ADMIN');
          return t.app.inject({
            method: 'PATCH',
            url: `/v1/users/${account.id}`,
            headers: admin.auth,
            payload: { status: 'DISABLED' },
          });
        },
      ],
    ])('%s cancels a pending email change and retires its confirmation link', async (_label, action) => {
      const account = await registerAndLogin(t.app);
      const newAddress = uniqueEmail('attacker');
      expect((await changeEmail(account, newAddress)).statusCode).toBe(200);
      const confirmToken = extractToken((await confirmMail(newAddress)).text);

      const res = await action(account);

      expect(res.statusCode).toBeLessThan(300);
      const stored = await t.app.get(PrismaService).user.findUniqueOrThrow({ where: { id: account.id } });
      expect({ email: stored.email, pendingEmail: stored.pendingEmail }).toEqual({
        email: account.email,
        pendingEmail: null,
      });
      expectProblem(await verify(confirmToken), INVALID_TOKEN, '/v1/auth/email/verify');
    });
  });
});
