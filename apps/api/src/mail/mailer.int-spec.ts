import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { Logger } from '@nestjs/common';
import { Test, type TestingModule } from '@nestjs/testing';
import { DomainError } from '@app/common';
import { AppConfigModule, loadConfig } from '@app/config';
import { extractToken, startTestSmtpServer, type TestSmtpServer } from '../../../../test/utils/smtp-server.js';
import { MailModule } from './mail.module.js';
import { Mailer } from './mailer.service.js';
import { MailTransport } from './mail-transport.js';
import { SmtpMailTransport } from './smtp-mail.transport.js';
import { LogMailTransport } from './log-mail.transport.js';
import { emailVerificationMail } from './mail-templates.js';
import { MailDeliveryFailedError } from './mail.errors.js';

const FROM = 'Acme Test <no-reply@acme.test>';
const FRONTEND_URL = 'https://app.acme.test';

async function mailModule(env: Record<string, string>): Promise<TestingModule> {
  const config = loadConfig({ NODE_ENV: 'test', MAIL_FROM: FROM, FRONTEND_URL, APP_NAME: 'Acme', ...env });
  const moduleRef = await Test.createTestingModule({
    imports: [AppConfigModule.forRoot(config), MailModule],
  }).compile();
  moduleRef.useLogger(false);
  await moduleRef.init();
  return moduleRef;
}

function verificationMail(to: string, token = 'tok_Abc-123.x/y+z=') {
  return emailVerificationMail({
    appName: 'Acme',
    frontendUrl: FRONTEND_URL,
    to,
    name: 'Ada',
    token,
    expiresInMinutes: 1440,
  });
}

describe(`${Mailer.name} over SMTP`, () => {
  let server: TestSmtpServer;
  let moduleRef: TestingModule;
  let sut: Mailer;

  beforeAll(async () => {
    server = await startTestSmtpServer();
    moduleRef = await mailModule({ SMTP_URL: server.url });
    sut = moduleRef.get(Mailer);
  });

  afterAll(async () => {
    await moduleRef?.close();
    await server?.close();
  });

  it('uses the SMTP transport when SMTP_URL is set', () => {
    expect(moduleRef.get(MailTransport)).toBeInstanceOf(SmtpMailTransport);
  });

  it('delivers a verification mail with its To, From, subject, token and link', async () => {
    const token = 'tok_Abc-123.x/y+z=';

    await sut.send(verificationMail('ada@example.com', token));

    const message = await server.waitForMessage((m) => m.to.includes('ada@example.com'));
    expect(message.to).toEqual(['ada@example.com']);
    expect(message.envelopeTo).toEqual(['ada@example.com']);
    expect(message.from).toBe(`"Acme Test" <no-reply@acme.test>`);
    expect(message.fromAddress).toBe('no-reply@acme.test');
    expect(message.subject).toBe('Verify your email address for Acme');
    expect(extractToken(message.text)).toBe(token);
    expect(message.text).toContain(`${FRONTEND_URL}/verify-email?token=${encodeURIComponent(token)}`);
    expect(message.html).toContain(`href="${FRONTEND_URL}/verify-email?token=${encodeURIComponent(token)}"`);
  });

  it('sends to exactly one recipient even when the address looks like a list', async () => {
    const to = 'eve@example.com, mallory@example.com';

    // Either the server refuses the odd address or takes it as one: never a second recipient.
    await sut.send({ to, subject: 'One recipient', text: 'hello' }).catch(() => undefined);

    expect(server.messages.flatMap((m) => m.envelopeTo)).not.toContain('mallory@example.com');
  });
});

describe(`${Mailer.name} when the SMTP server is unreachable`, () => {
  let moduleRef: TestingModule;

  afterAll(async () => {
    await moduleRef?.close();
  });

  it('rejects with MAIL_DELIVERY_FAILED and logs the recipient', async () => {
    moduleRef = await mailModule({ SMTP_URL: 'smtp://127.0.0.1:1' });
    const sut = moduleRef.get(Mailer);
    const error = vi.spyOn(Logger.prototype, 'error').mockImplementation(() => undefined);
    try {
      const sending = sut.send(verificationMail('bob@example.com'));

      await expect(sending).rejects.toThrow(MailDeliveryFailedError);
      await expect(sending).rejects.toMatchObject({ kind: 'unavailable', code: 'MAIL_DELIVERY_FAILED' });
      await expect(sending).rejects.toBeInstanceOf(DomainError);
      expect(error).toHaveBeenCalledWith(expect.stringContaining('bob@example.com'), expect.anything());
    } finally {
      error.mockRestore();
    }
  });
});

describe(SmtpMailTransport.name, () => {
  it('closes its transporter when the application shuts down', async () => {
    const moduleRef = await mailModule({ SMTP_URL: 'smtp://127.0.0.1:1' });
    const shutdown = vi.spyOn(SmtpMailTransport.prototype, 'onApplicationShutdown');
    try {
      await moduleRef.close();

      expect(shutdown).toHaveBeenCalledTimes(1);
    } finally {
      shutdown.mockRestore();
    }
  });
});

describe(`${Mailer.name} without SMTP_URL`, () => {
  let moduleRef: TestingModule;
  let sut: Mailer;

  beforeAll(async () => {
    moduleRef = await mailModule({});
    sut = moduleRef.get(Mailer);
  });

  afterAll(async () => {
    await moduleRef.close();
  });

  afterEach(() => {
    vi.restoreAllMocks();
  });

  it('uses the log transport', () => {
    expect(moduleRef.get(MailTransport)).toBeInstanceOf(LogMailTransport);
  });

  it('writes the recipient, subject and body, link included, to the log at log level', async () => {
    const log = vi.spyOn(Logger.prototype, 'log').mockImplementation(() => undefined);
    const message = verificationMail('carol@example.com', 'dev-token');

    await expect(sut.send(message)).resolves.toBeUndefined();

    expect(log).toHaveBeenCalledTimes(1);
    const line = String(log.mock.calls[0][0]);
    expect(line).toContain('carol@example.com');
    expect(line).toContain(message.subject);
    expect(line).toContain(`${FRONTEND_URL}/verify-email?token=dev-token`);
    expect(extractToken(line)).toBe('dev-token');
  });

  it('does not fail the send when logging throws', async () => {
    vi.spyOn(Logger.prototype, 'log').mockImplementation(() => {
      throw new Error('log sink is gone');
    });

    await expect(sut.send(verificationMail('dave@example.com'))).resolves.toBeUndefined();
  });
});

describe(LogMailTransport.name, () => {
  afterEach(() => {
    vi.restoreAllMocks();
  });

  it('withholds the body when asked to (production without SMTP_URL)', async () => {
    const log = vi.spyOn(Logger.prototype, 'log').mockImplementation(() => undefined);
    const sut = new LogMailTransport({ withholdBody: true });

    await sut.send(verificationMail('erin@example.com', 'secret-token'));

    const line = String(log.mock.calls[0][0]);
    expect(line).toContain('erin@example.com');
    expect(line).not.toContain('secret-token');
  });
});
