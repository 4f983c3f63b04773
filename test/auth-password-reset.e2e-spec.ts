import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { newOpaqueToken } from '@app/common';
import { PrismaService } from '@app/database';
import { bearer, createAccountWithRole, login, registerAndLogin, strongPassword, uniqueEmail } from './utils/auth.js';
import { extractToken } from './utils/smtp-server.js';
import { expectProblem, INVALID_CREDENTIALS, VALIDATION_FAILED } from './utils/problem.js';
import { INVALID_TOKEN, MailTestApp } from './utils/mail-app.js';

describe('auth: forgotten password, password change and reset links (e2e)', () => {
  const h = new MailTestApp();
  const { post, me, verify, attemptLogin, changeEmail, mailTo, resetMail, confirmMail } = h;

  beforeAll(() => h.start());
  afterAll(() => h.close());

  describe('forgotten password', () => {
    it('answers a known and an unknown email alike, and mails only the known one', async () => {
      const account = await registerAndLogin(h.t.app);
      const unknown = uniqueEmail('nobody');

      const known = await post('/v1/auth/password/forgot', { email: account.email });
      const missing = await post('/v1/auth/password/forgot', { email: unknown });

      expect({ status: known.statusCode, body: known.body }).toEqual({ status: 202, body: '' });
      expect({ status: missing.statusCode, body: missing.body }).toEqual({ status: 202, body: '' });
      const mail = await resetMail(account.email);
      expect(mail.text).toContain(
        `${h.t.config.app.frontendUrl}/reset-password?token=${encodeURIComponent(extractToken(mail.text))}`,
      );
      await expect(h.smtp.waitForMessage((m) => m.to.includes(unknown), 1_000)).rejects.toThrow(/No matching message/);
    });

    it('resets the password with the emailed token, ends every session and sends a notice', async () => {
      const account = await registerAndLogin(h.t.app);
      const second = await login(h.t.app, account.email, account.password);
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
      const account = await registerAndLogin(h.t.app);
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
      const account = await registerAndLogin(h.t.app);

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
      const account = await registerAndLogin(h.t.app);
      const other = await login(h.t.app, account.email, account.password);
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
      const account = await registerAndLogin(h.t.app);
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
      const account = await registerAndLogin(h.t.app);
      const used = await resetLinkFor(account.email);
      // A second live link, as two concurrent forgot-password requests can leave.
      const other = newOpaqueToken();
      await h.t.app.get(PrismaService).userToken.create({
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
      const account = await registerAndLogin(h.t.app);
      const token = await resetLinkFor(account.email);
      const newAddress = uniqueEmail('moved');
      expect((await changeEmail(account, newAddress)).statusCode).toBe(200);
      expect((await verify(extractToken((await confirmMail(newAddress)).text))).statusCode).toBe(204);

      const res = await post('/v1/auth/password/reset', { token, newPassword: strongPassword() });

      expectProblem(res, INVALID_TOKEN, '/v1/auth/password/reset');
      expect((await attemptLogin(newAddress, account.password)).statusCode).toBe(200);
    });

    it("is bound to the address it was sent to: refused while the account's address differs (ASVS 5.0 V6.4.3)", async () => {
      const account = await registerAndLogin(h.t.app);
      const token = await resetLinkFor(account.email);
      const prisma = h.t.app.get(PrismaService);
      // Moved behind the API's back: no retirement happens, only the binding can refuse the link.
      await prisma.user.update({ where: { id: account.id }, data: { email: uniqueEmail('elsewhere') } });

      const refused = await post('/v1/auth/password/reset', { token, newPassword: strongPassword() });

      expectProblem(refused, INVALID_TOKEN, '/v1/auth/password/reset');
      await prisma.user.update({ where: { id: account.id }, data: { email: account.email } });
      expect((await post('/v1/auth/password/reset', { token, newPassword: strongPassword() })).statusCode).toBe(204);
    });

    it('an administrator disabling the account retires its reset links (ASVS 5.0 V6.4.3)', async () => {
      const admin = await createAccountWithRole(h.t.app, 'ADMIN');
      const account = await registerAndLogin(h.t.app);
      const token = await resetLinkFor(account.email);
      const status = (value: string) =>
        h.t.app.inject({
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
      const account = await registerAndLogin(h.t.app);
      const token = await resetLinkFor(account.email);
      const prisma = h.t.app.get(PrismaService);
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
});
