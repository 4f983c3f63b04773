import { DomainError } from '@app/common';

/** The mail server refused or could not be reached; the caller may retry later (503). */
export class MailDeliveryFailedError extends DomainError {
  constructor() {
    super('unavailable', 'MAIL_DELIVERY_FAILED', 'The email could not be sent. Try again later.');
  }
}
