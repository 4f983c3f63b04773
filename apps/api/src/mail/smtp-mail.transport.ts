import type { OnApplicationShutdown } from '@nestjs/common';
import { createTransport, type Transporter } from 'nodemailer';
import type { AppConfig } from '@app/config';
import type { MailMessage, MailTransport } from './mail-transport.js';

/** Longest wait for each step: TCP connect, the server's greeting, DNS, and any silence on the socket. */
const SMTP_STEP_TIMEOUT_MS = 10_000;
/** Longest a whole send may take, all steps together. */
const SMTP_SEND_TIMEOUT_MS = 30_000;

/** Sends through the SMTP server of `SMTP_URL` (`smtp://user:pass@host:587`, or `smtps://`). */
export class SmtpMailTransport implements MailTransport, OnApplicationShutdown {
  private readonly transporter: Transporter;

  constructor(config: AppConfig) {
    const url = config.mail.smtpUrl;
    if (url === undefined) throw new Error('SmtpMailTransport needs SMTP_URL');
    this.transporter = createTransport(
      {
        url,
        connectionTimeout: SMTP_STEP_TIMEOUT_MS,
        greetingTimeout: SMTP_STEP_TIMEOUT_MS,
        dnsTimeout: SMTP_STEP_TIMEOUT_MS,
        socketTimeout: SMTP_STEP_TIMEOUT_MS,
      },
      { from: config.mail.from },
    );
  }

  async send(message: MailMessage): Promise<void> {
    await this.transporter.sendMail({
      // An address object is taken as one recipient; a string would be parsed as a list.
      to: { name: '', address: message.to },
      subject: message.subject,
      text: message.text,
      ...(message.html === undefined ? {} : { html: message.html }),
      signal: AbortSignal.timeout(SMTP_SEND_TIMEOUT_MS),
    });
  }

  onApplicationShutdown(): void {
    this.transporter.close();
  }
}
