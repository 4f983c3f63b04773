import { Global, Logger, Module } from '@nestjs/common';
import { AppConfig } from '@app/config';
import { MailTransport } from './mail-transport.js';
import { LogMailTransport } from './log-mail.transport.js';
import { Mailer } from './mailer.service.js';

/** SMTP when `SMTP_URL` is set; nodemailer (the SMTP client) is loaded only then. */
async function createMailTransport(config: AppConfig): Promise<MailTransport> {
  if (config.mail.smtpUrl !== undefined) {
    const { SmtpMailTransport } = await import('./smtp-mail.transport.js');
    return new SmtpMailTransport(config);
  }
  const production = config.app.env === 'production';
  if (production) {
    new Logger('Mail').warn('SMTP_URL is not set: emails are logged (without their bodies), not delivered');
  }
  return new LogMailTransport({ withholdBody: production });
}

/** Email for every feature: inject `Mailer`. Tests may override `MailTransport`. */
@Global()
@Module({
  providers: [Mailer, { provide: MailTransport, useFactory: createMailTransport, inject: [AppConfig] }],
  exports: [Mailer, MailTransport],
})
export class MailModule {}
