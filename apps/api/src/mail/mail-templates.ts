import type { MailMessage } from './mail-transport.js';

/**
 * The emails the API sends, as pure functions of their data. Every message has a plain-text body
 * and a simple HTML one. A message that carries a token shows it twice in the text: inside the
 * link, URL-encoded, and verbatim on a line of its own, `Token: <token>`, for clients that use
 * the API directly.
 */

interface Recipient {
  appName: string;
  /** The address the message goes to. */
  to: string;
  /** The recipient's display name, if any. */
  name?: string | null;
}

interface LinkedToken extends Recipient {
  /** Base URL of the web app (`config.app.frontendUrl`), without a trailing slash. */
  frontendUrl: string;
  token: string;
  expiresInMinutes: number;
}

export type EmailVerificationMail = LinkedToken;
/** `to` is the NEW address: confirming proves the requester controls it. */
export type EmailChangeMail = LinkedToken;
/** `to` is the OLD address; the token cancels the change (or reverts it once confirmed). */
export interface EmailChangeNoticeMail extends LinkedToken {
  /** The address the account is asked to move to. */
  newEmail: string;
}
export type PasswordResetMail = LinkedToken;
export type PasswordChangedMail = Recipient;
export function emailVerificationMail(data: EmailVerificationMail): MailMessage {
  return tokenMail(data, {
    subject: `Verify your email address for ${oneLine(data.appName)}`,
    intro: `Please confirm that this is your email address for ${oneLine(data.appName)}.`,
    action: 'Verify email address',
    path: '/verify-email',
    ignore: 'If you did not create an account, you can ignore this email.',
  });
}

export function emailChangeMail(data: EmailChangeMail): MailMessage {
  return tokenMail(data, {
    subject: `Confirm your new email address for ${oneLine(data.appName)}`,
    intro:
      `You asked to use this address for your ${oneLine(data.appName)} account. ` +
      'Your email will change once you confirm it.',
    action: 'Confirm new email address',
    path: '/confirm-email-change',
    ignore: 'If you did not ask for this, ignore this email: your account keeps its current address.',
  });
}

/** Security notice to the old address of an email change, with a link that cancels it. */
export function emailChangeNoticeMail(data: EmailChangeNoticeMail): MailMessage {
  const appName = oneLine(data.appName);
  return tokenMail(data, {
    subject: `Your ${appName} email address is being changed`,
    intro:
      `Someone signed in to your ${appName} account asked to change its email address to ${oneLine(data.newEmail)}. ` +
      'If it was you, there is nothing to do: the change applies once it is confirmed from the new address.',
    action: 'Cancel the change',
    path: '/cancel-email-change',
    ignore:
      'If it was not you, cancel now: the account keeps (or gets back) this address and is signed out everywhere. ' +
      'Then reset your password with "Forgot password" on the sign-in page.',
  });
}

export function passwordResetMail(data: PasswordResetMail): MailMessage {
  return tokenMail(data, {
    subject: `Reset your ${oneLine(data.appName)} password`,
    intro: `Someone asked to reset the password of your ${oneLine(data.appName)} account.`,
    action: 'Choose a new password',
    path: '/reset-password',
    ignore: 'If it was not you, ignore this email: your password stays as it is.',
  });
}

export function passwordChangedMail(data: PasswordChangedMail): MailMessage {
  const appName = oneLine(data.appName);
  return compose(data, `Your ${appName} password was changed`, [
    `The password of your ${appName} account was just changed.`,
    'If you did this, there is nothing else to do.',
    'If you did not, reset your password right away with "Forgot password" on the sign-in page, and contact support.',
  ]);
}

/** `30` → `30 minutes`, `60` → `1 hour`, `1440` → `24 hours`, `2880` → `2 days`. */
export function formatExpiry(minutes: number): string {
  const whole = Math.max(1, Math.round(minutes));
  const plural = (count: number, unit: string) => `${count} ${unit}${count === 1 ? '' : 's'}`;
  if (whole >= 2 * 1440 && whole % 1440 === 0) return plural(whole / 1440, 'day');
  if (whole >= 60 && whole % 60 === 0) return plural(whole / 60, 'hour');
  return plural(whole, 'minute');
}

export function escapeHtml(value: string): string {
  return value
    .replaceAll('&', '&amp;')
    .replaceAll('<', '&lt;')
    .replaceAll('>', '&gt;')
    .replaceAll('"', '&quot;')
    .replaceAll("'", '&#39;');
}

interface TokenMailWording {
  subject: string;
  intro: string;
  action: string;
  /** Path of the web app page that takes `?token=`. */
  path: string;
  ignore: string;
}

function tokenMail(data: LinkedToken, wording: TokenMailWording): MailMessage {
  const link = `${data.frontendUrl}${wording.path}?token=${encodeURIComponent(data.token)}`;
  return compose(data, wording.subject, [
    wording.intro,
    { text: `${wording.action}:\n${link}`, html: `<a href="${escapeHtml(link)}">${escapeHtml(wording.action)}</a>` },
    `This link expires in ${formatExpiry(data.expiresInMinutes)}. ${wording.ignore}`,
    {
      text: `If you use the API directly, this is your token:\nToken: ${data.token}`,
      html: `If you use the API directly, this is your token: <code>${escapeHtml(data.token)}</code>`,
    },
  ]);
}

/** A paragraph: plain text (escaped for the HTML body), or its text and HTML forms (for links). */
type Paragraph = string | { text: string; html: string };

function compose(data: Recipient, subject: string, paragraphs: Paragraph[]): MailMessage {
  const signature = `— ${oneLine(data.appName)}`;
  const text = [greeting(data.name), ...paragraphs.map((p) => (typeof p === 'string' ? p : p.text)), signature];
  const html = page([
    `<p>${escapeHtml(greeting(data.name))}</p>`,
    ...paragraphs.map((p) => `<p>${typeof p === 'string' ? escapeHtml(p) : p.html}</p>`),
    `<p>${escapeHtml(signature)}</p>`,
  ]);
  return { to: data.to, subject, text: text.join('\n\n'), html };
}

function greeting(name: string | null | undefined): string {
  const clean = name ? oneLine(name) : '';
  return clean ? `Hi ${clean},` : 'Hi,';
}

/** Collapses line breaks and runs of blanks, so a value cannot add lines of its own to a message. */
function oneLine(value: string): string {
  return value.replace(/\s+/g, ' ').trim();
}

function page(body: string[]): string {
  return `<!doctype html>\n<html><body>\n${body.join('\n')}\n</body></html>\n`;
}
