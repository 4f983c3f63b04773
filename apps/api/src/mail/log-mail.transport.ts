import { Logger } from '@nestjs/common';
import type { MailMessage, MailTransport } from './mail-transport.js';

export interface LogMailTransportOptions {
  /**
   * Log the recipient and subject only. Bodies carry sign-in links and tokens, so they are
   * withheld where logs are shipped and kept (production without SMTP_URL).
   */
  withholdBody?: boolean;
}

/**
 * Writes each message to the log instead of sending it, so a developer running `npm start`
 * without SMTP_URL can follow the emailed links. Never fails a request.
 */
export class LogMailTransport implements MailTransport {
  private readonly logger = new Logger('Mail');

  constructor(private readonly options: LogMailTransportOptions = {}) {}

  async send(message: MailMessage): Promise<void> {
    try {
      const head = `Mail to ${message.to}: ${message.subject}`;
      this.logger.log(
        this.options.withholdBody
          ? `${head} (not delivered: SMTP_URL is not set; body withheld)`
          : `${head} (not delivered: SMTP_URL is not set)\n${message.text}`,
      );
    } catch {
      // Logging must never turn into a failed request.
    }
  }
}
