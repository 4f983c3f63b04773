import { afterAll, beforeAll, describe, expect, it } from 'vitest';
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
import { extractToken } from './utils/smtp-server.js';
import { expectProblem, INVALID_CREDENTIALS, VALIDATION_FAILED } from './utils/problem.js';
import { INVALID_TOKEN, EMAIL_TAKEN, MailTestApp } from './utils/mail-app.js';

describe('auth: email change and its cancel link (e2e)', () => {
  const h = new MailTestApp();
  const {
    post,
    me,
    verify,
    attemptLogin,
    cancel,
    changeEmail,
    verificationMail,
    resetMail,
    confirmMail,
    noticeMail,
    moveAccount,
    register,
  } = h;

  beforeAll(() => h.start());
  afterAll(() => h.close());

  describe('email change', () => {
    it('keeps the address until the new one is confirmed from its inbox, then switches sign-in to it', async () => {
      const account = await registerAndLogin(h.t.app);
      const newAddress = uniqueEmail('moved');
      const typed = `  ${newAddress.toUpperCase()} `;

      const res = await changeEmail(account, typed);

      expect(res.statusCode).toBe(200);
      expect(res.json()).toMatchObject({ email: account.email, pendingEmail: newAddress, emailVerified: false });
      const mail = await confirmMail(newAddress);
      expect(mail.envelopeTo).toEqual([newAddress]);
      const token = extractToken(mail.text);
      expect(mail.text).toContain(
        `${h.t.config.app.frontendUrl}/confirm-email-change?token=${encodeURIComponent(token)}`,
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
      const account = await registerAndLogin(h.t.app);
      const newAddress = uniqueEmail('moved');

      expect((await changeEmail(account, newAddress)).statusCode).toBe(200);

      const notice = await noticeMail(account.email);
      const cancelToken = extractToken(notice.text);
      expect(notice.envelopeTo).toEqual([account.email]);
      expect(notice.text).toContain(`change its email address to ${newAddress}.`);
      expect(notice.text).toContain(
        `${h.t.config.app.frontendUrl}/cancel-email-change?token=${encodeURIComponent(cancelToken)}`,
      );
      expect(cancelToken).not.toBe(extractToken((await confirmMail(newAddress)).text));
      const stored = await h.t.app.get(PrismaService).userToken.findMany({
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
        const account = await registerAndLogin(h.t.app);
        const newAddress = uniqueEmail('attacker');

        const res = await h.t.app.inject({
          method: 'PATCH',
          url: '/v1/users/me',
          headers: account.auth,
          payload: { email: newAddress, ...password },
        });

        expectProblem(res, problem, '/v1/users/me');
        expect((await me(account.auth)).json()).toMatchObject({ email: account.email, pendingEmail: null });
        expect(
          await h.t.app.get(PrismaService).userToken.count({ where: { userId: account.id, purpose: 'EMAIL_CHANGE' } }),
        ).toBe(0);
        await expect(h.smtp.waitForMessage((m) => m.to.includes(newAddress), 500)).rejects.toThrow(
          /No matching message/,
        );
      },
    );

    it('refuses an address another account has with a 409 and changes nothing', async () => {
      const account = await registerAndLogin(h.t.app);
      const other = await registerAndLogin(h.t.app);

      const res = await changeEmail(account, other.email.toUpperCase());

      expectProblem(res, EMAIL_TAKEN, '/v1/users/me');
      expect((await me(account.auth)).json()).toMatchObject({ email: account.email, pendingEmail: null });
    });

    it('the cancel link drops a pending change, retires its confirmation link and ends every session (ASVS 5.0 V7.4.3)', async () => {
      const account = await registerAndLogin(h.t.app);
      const other = await login(h.t.app, account.email, account.password);
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
      const again = bearer((await login(h.t.app, account.email, account.password)).accessToken);
      expect((await me(again)).json()).toMatchObject({ email: account.email, pendingEmail: null });
      const events = await h.t.app.get(PrismaService).securityEvent.findMany({
        where: { userId: account.id, type: 'EMAIL_CHANGE_CANCELLED' },
      });
      expect(events.map((event) => event.details)).toEqual([{ reverted: false }]);
    });

    it('the cancel link reverts a change confirmed meanwhile: the account gets its old address back', async () => {
      const account = await registerAndLogin(h.t.app);
      const newAddress = uniqueEmail('attacker');
      expect((await changeEmail(account, newAddress)).statusCode).toBe(200);
      const cancelToken = extractToken((await noticeMail(account.email)).text);
      expect((await verify(extractToken((await confirmMail(newAddress)).text))).statusCode).toBe(204);
      expect((await me(account.auth)).json()).toMatchObject({ email: newAddress });

      expect((await cancel(cancelToken)).statusCode).toBe(204);

      expect((await me(account.auth)).statusCode).toBe(401);
      expectProblem(await attemptLogin(newAddress, account.password), INVALID_CREDENTIALS, '/v1/auth/login');
      const again = bearer((await login(h.t.app, account.email, account.password)).accessToken);
      expect((await me(again)).json()).toMatchObject({ email: account.email, pendingEmail: null, emailVerified: true });
    });

    it("a later change can't retire the owner's cancel link: it still reverts, and later cancel links stop working (ASVS 5.0 V7.4.3)", async () => {
      for (const attackerCancelsFirst of [false, true]) {
        const account = await registerAndLogin(h.t.app);
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
        const again = bearer((await login(h.t.app, account.email, account.password)).accessToken);
        expect((await me(again)).json()).toMatchObject({ email: account.email, pendingEmail: null });
      }
    });

    it('keeps the address an account moved away from reserved while its cancel link lives (ASVS 5.0 V7.4.3)', async () => {
      const account = await registerAndLogin(h.t.app);
      const { ownerLink } = await moveAccount(account);

      const squat = await register({ email: account.email, password: strongPassword(), name: 'Squatter' });
      expectProblem(squat, EMAIL_TAKEN, '/v1/auth/register');
      const other = await registerAndLogin(h.t.app);
      expectProblem(await changeEmail(other, account.email), EMAIL_TAKEN, '/v1/users/me');

      expect((await cancel(ownerLink)).statusCode).toBe(204);
      expect((await login(h.t.app, account.email, account.password)).accessToken).toEqual(expect.any(String));
    });

    it('ends every session even when the old address went to another account: 409, and the link stays usable', async () => {
      const account = await registerAndLogin(h.t.app);
      const { ownerLink } = await moveAccount(account);
      // Taken behind the API's back (the reservation refuses it through the API).
      const prisma = h.t.app.get(PrismaService);
      const squatter = await prisma.user.create({
        data: { email: account.email, name: 'Squatter', passwordHash: '!' },
      });

      expectProblem(await cancel(ownerLink), EMAIL_TAKEN, '/v1/auth/email/cancel-change');

      expect((await me(account.auth)).statusCode).toBe(401);
      expect((await post('/v1/auth/refresh', { refreshToken: account.refreshToken })).statusCode).toBe(401);
      await prisma.user.delete({ where: { id: squatter.id } });
      expect((await cancel(ownerLink)).statusCode).toBe(204);
      expect((await login(h.t.app, account.email, account.password)).accessToken).toEqual(expect.any(String));
    });

    it('refuses a token of another kind on the cancel route', async () => {
      const account = await registerAndLogin(h.t.app);
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
          const admin = await createAccountWithRole(h.t.app, 'ADMIN');
          return h.t.app.inject({
            method: 'PATCH',
            url: `/v1/users/${account.id}`,
            headers: admin.auth,
            payload: { status: 'DISABLED' },
          });
        },
      ],
    ])('%s cancels a pending email change and retires its confirmation link', async (_label, action) => {
      const account = await registerAndLogin(h.t.app);
      const newAddress = uniqueEmail('attacker');
      expect((await changeEmail(account, newAddress)).statusCode).toBe(200);
      const confirmToken = extractToken((await confirmMail(newAddress)).text);

      const res = await action(account);

      expect(res.statusCode).toBeLessThan(300);
      const stored = await h.t.app.get(PrismaService).user.findUniqueOrThrow({ where: { id: account.id } });
      expect({ email: stored.email, pendingEmail: stored.pendingEmail }).toEqual({
        email: account.email,
        pendingEmail: null,
      });
      expectProblem(await verify(confirmToken), INVALID_TOKEN, '/v1/auth/email/verify');
    });
  });
});
