import { expect } from 'vitest';
import { uniqueEmail, type TestAccount } from './auth.js';
import { extractToken, startTestSmtpServer, type ParsedMessage, type TestSmtpServer } from './smtp-server.js';
import { createTestApp, type TestApp } from './test-app.js';

/** The keys of a user as the API answers it. */
export const USER_KEYS = [
  'createdAt',
  'email',
  'emailVerified',
  'id',
  'name',
  'pendingEmail',
  'role',
  'status',
  'updatedAt',
];

/** The fixed part of each problem body; `instance` and `requestId` are added per response. */
export const INVALID_TOKEN = {
  type: 'urn:problem-type:invalid-or-expired-token',
  title: 'Bad Request',
  status: 400,
  detail: 'The token is invalid, expired or already used.',
  code: 'INVALID_OR_EXPIRED_TOKEN',
};
export const EMAIL_ALREADY_VERIFIED = {
  type: 'urn:problem-type:email-already-verified',
  title: 'Conflict',
  status: 409,
  detail: 'This email address is already verified.',
  code: 'EMAIL_ALREADY_VERIFIED',
};
export const EMAIL_TAKEN = {
  type: 'urn:problem-type:user-email-taken',
  title: 'Conflict',
  status: 409,
  detail: 'An account with this email already exists.',
  code: 'USER_EMAIL_TAKEN',
};

/**
 * The app sending its mail to a test SMTP server, and the calls and mailbox reads of the flows
 * that go through an emailed token (verification, reset, email change). `start()` in a
 * beforeAll, `close()` in the afterAll.
 */
export class MailTestApp {
  t!: TestApp;
  smtp!: TestSmtpServer;

  async start(): Promise<void> {
    this.smtp = await startTestSmtpServer();
    this.t = await createTestApp({ env: { SMTP_URL: this.smtp.url } });
  }

  async close(): Promise<void> {
    await this.t?.close();
    await this.smtp?.close();
  }

  readonly post = (url: string, payload?: Record<string, unknown>, headers: Record<string, string> = {}) =>
    this.t.app.inject({ method: 'POST', url, payload, headers });
  readonly me = (headers: Record<string, string>) => this.t.app.inject({ method: 'GET', url: '/v1/users/me', headers });
  readonly verify = (token: string) => this.post('/v1/auth/email/verify', { token });
  readonly attemptLogin = (email: string, password: string) => this.post('/v1/auth/login', { email, password });
  readonly cancel = (token: string) => this.post('/v1/auth/email/cancel-change', { token });
  readonly register = (body: { email: string; password: string; name: string }) => this.post('/v1/auth/register', body);
  readonly changeEmail = (account: TestAccount, email: string) =>
    this.t.app.inject({
      method: 'PATCH',
      url: '/v1/users/me',
      headers: account.auth,
      payload: { email, currentPassword: account.password },
    });

  /** The first message to `address` whose subject matches, received already or within 5 s. */
  readonly mailTo = (address: string, subject: RegExp, except: ParsedMessage[] = []) =>
    this.smtp.waitForMessage((m) => m.to.includes(address) && subject.test(m.subject) && !except.includes(m));
  readonly verificationMail = (address: string, except: ParsedMessage[] = []) =>
    this.mailTo(address, /^Verify your email address/, except);
  readonly resetMail = (address: string) => this.mailTo(address, /^Reset your .* password$/);
  readonly confirmMail = (address: string) => this.mailTo(address, /^Confirm your new email address/);
  readonly noticeMail = (address: string) => this.mailTo(address, /email address is being changed$/);

  /** Moves `account` to a new address, confirmed from it; returns the cancel link mailed to the old one. */
  readonly moveAccount = async (account: TestAccount, newAddress = uniqueEmail('attacker')) => {
    expect((await this.changeEmail(account, newAddress)).statusCode).toBe(200);
    const ownerLink = extractToken((await this.noticeMail(account.email)).text);
    expect((await this.verify(extractToken((await this.confirmMail(newAddress)).text))).statusCode).toBe(204);
    return { newAddress, ownerLink };
  };
}
