import type { AddressInfo } from 'node:net';
import { SMTPServer } from 'smtp-server';
import { simpleParser, type AddressObject } from 'mailparser';

/** A message as the test SMTP server received it. */
export interface ParsedMessage {
  /** Addresses of the To header. */
  to: string[];
  /** The From header as written (`Name <address>`). */
  from: string;
  /** Address of the From header. */
  fromAddress: string;
  subject: string;
  text: string;
  html: string | false;
  /** Recipients of the SMTP envelope (RCPT TO). */
  envelopeTo: string[];
}

export interface TestSmtpServer {
  /** `smtp://127.0.0.1:<port>`, for SMTP_URL. */
  url: string;
  /** Every message received so far, oldest first. */
  messages: ParsedMessage[];
  /** The first message, received already or later, that matches; rejects after `timeoutMs`. */
  waitForMessage(predicate?: (message: ParsedMessage) => boolean, timeoutMs?: number): Promise<ParsedMessage>;
  close(): Promise<void>;
}

function addresses(header: AddressObject | AddressObject[] | undefined): string[] {
  return [header ?? []]
    .flat()
    .flatMap((object) => object.value)
    .flatMap((address) => [address, ...(address.group ?? [])])
    .flatMap((address) => (address.address ? [address.address] : []));
}

/**
 * A real SMTP server in this process, on 127.0.0.1 and a free port: plain text, no STARTTLS, no
 * authentication. Each message is parsed with mailparser and kept in `messages`.
 */
export async function startTestSmtpServer(): Promise<TestSmtpServer> {
  const messages: ParsedMessage[] = [];
  const waiters = new Set<(message: ParsedMessage) => void>();

  const server = new SMTPServer({
    secure: false,
    disabledCommands: ['STARTTLS'],
    authOptional: true,
    logger: false,
    onData(stream, session, callback) {
      simpleParser(stream).then(
        (mail) => {
          const message: ParsedMessage = {
            to: addresses(mail.to),
            from: mail.from?.text ?? '',
            fromAddress: addresses(mail.from)[0] ?? '',
            subject: mail.subject ?? '',
            text: mail.text ?? '',
            html: mail.html ?? false,
            envelopeTo: session.envelope.rcptTo.map((recipient) => recipient.address),
          };
          messages.push(message);
          for (const waiter of waiters) waiter(message);
          callback();
        },
        (error: Error) => callback(error),
      );
    },
  });

  const port = await new Promise<number>((resolve, reject) => {
    const listener = server.listen(0, '127.0.0.1', () => resolve((listener.address() as AddressInfo).port));
    listener.once('error', reject);
  });

  return {
    url: `smtp://127.0.0.1:${port}`,
    messages,
    waitForMessage(predicate = () => true, timeoutMs = 5_000) {
      const received = messages.find(predicate);
      if (received) return Promise.resolve(received);
      return new Promise<ParsedMessage>((resolve, reject) => {
        const waiter = (message: ParsedMessage) => {
          if (!predicate(message)) return;
          clearTimeout(timer);
          waiters.delete(waiter);
          resolve(message);
        };
        const timer = setTimeout(() => {
          waiters.delete(waiter);
          reject(new Error(`No matching message within ${timeoutMs} ms (${messages.length} received)`));
        }, timeoutMs);
        waiters.add(waiter);
      });
    },
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

/**
 * The token of a message body: the templates put it verbatim on its own line, `Token: <token>`
 * (see apps/api/src/mail/mail-templates.ts).
 */
export function extractToken(text: string): string {
  const match = /^Token: (\S+)$/m.exec(text);
  if (!match) throw new Error(`No "Token: ..." line in the message:\n${text}`);
  return match[1];
}
