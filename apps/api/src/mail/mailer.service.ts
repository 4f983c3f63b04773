import { isNativeError } from 'node:util/types';
import { Injectable, Logger } from '@nestjs/common';
import { MailTransport, type MailMessage } from './mail-transport.js';
import { MailDeliveryFailedError } from './mail.errors.js';

/** What features inject to send email; build messages with the functions of mail-templates.ts. */
@Injectable()
export class Mailer {
  private readonly logger = new Logger(Mailer.name);

  constructor(private readonly transport: MailTransport) {}

  /** Delivers the message or throws MailDeliveryFailedError (`MAIL_DELIVERY_FAILED`, 503). */
  async send(message: MailMessage): Promise<void> {
    try {
      await this.transport.send(message);
    } catch (error) {
      // isNativeError, not instanceof: socket errors may come from another realm (a VM context, a worker).
      const reason = isNativeError(error) ? error.message : String(error);
      this.logger.error(
        `Could not send "${message.subject}" to ${message.to}: ${reason}`,
        isNativeError(error) ? error.stack : undefined,
      );
      throw new MailDeliveryFailedError();
    }
  }
}
