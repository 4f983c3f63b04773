/** One email, addressed to one recipient. The From header comes from configuration (`MAIL_FROM`). */
export interface MailMessage {
  /** A single bare address (`ada@example.com`), never a list. */
  to: string;
  subject: string;
  text: string;
  html?: string;
}

/**
 * Delivers a message, or rejects. The DI token for the two implementations: SMTP when
 * `SMTP_URL` is set, the log otherwise (see MailModule). Features send through `Mailer`.
 */
export abstract class MailTransport {
  abstract send(message: MailMessage): Promise<void>;
}
