import { describe, expect, it } from 'vitest';
import { extractToken } from '../../../../test/utils/smtp-server.js';
import {
  emailChangeMail,
  emailChangeNoticeMail,
  emailVerificationMail,
  formatExpiry,
  passwordChangedMail,
  passwordResetMail,
} from './mail-templates.js';

const FRONTEND_URL = 'https://app.example.com';

function makeTokenMailData(overrides: Partial<Parameters<typeof emailVerificationMail>[0]> = {}) {
  return {
    appName: 'Acme',
    frontendUrl: FRONTEND_URL,
    to: 'ada@example.com',
    name: 'Ada',
    token: 'abc123',
    expiresInMinutes: 60,
    ...overrides,
  };
}

describe('mail templates', () => {
  const tokenMails = [
    ['emailVerificationMail', emailVerificationMail, '/verify-email'],
    ['emailChangeMail', emailChangeMail, '/confirm-email-change'],
    [
      'emailChangeNoticeMail',
      (data: ReturnType<typeof makeTokenMailData>) => emailChangeNoticeMail({ ...data, newEmail: 'moved@example.com' }),
      '/cancel-email-change',
    ],
    ['passwordResetMail', passwordResetMail, '/reset-password'],
  ] as const;

  describe.each(tokenMails)('%s', (_name, sut, path) => {
    it('addresses the recipient and links to the web app page with the token', () => {
      const message = sut(makeTokenMailData({ to: 'new@example.com', token: 't0k3n' }));

      expect(message.to).toBe('new@example.com');
      expect(message.subject).toContain('Acme');
      expect(message.text).toContain(`${FRONTEND_URL}${path}?token=t0k3n`);
      expect(message.html).toContain(`href="${FRONTEND_URL}${path}?token=t0k3n"`);
    });

    it('URL-encodes the token in the link and shows it verbatim on its Token line', () => {
      const token = 'a+b/c=d&e?f#g%h';
      const encoded = 'a%2Bb%2Fc%3Dd%26e%3Ff%23g%25h';

      const message = sut(makeTokenMailData({ token }));

      expect(message.text).toContain(`${path}?token=${encoded}\n`);
      expect(message.text).toContain(`\nToken: ${token}\n`);
      expect(extractToken(message.text)).toBe(token);
      expect(message.html).toContain(`${path}?token=${encoded}"`);
      expect(message.html).toContain('<code>a+b/c=d&amp;e?f#g%h</code>');
    });

    it('states when the link expires', () => {
      expect(sut(makeTokenMailData({ expiresInMinutes: 60 })).text).toContain('This link expires in 1 hour.');
      expect(sut(makeTokenMailData({ expiresInMinutes: 1440 })).text).toContain('This link expires in 24 hours.');
      expect(sut(makeTokenMailData({ expiresInMinutes: 30 })).html).toContain('This link expires in 30 minutes.');
    });

    it('HTML-escapes the name and the app name in the HTML body', () => {
      const message = sut(makeTokenMailData({ name: '<script>alert("x")</script> & Co', appName: 'A<b>' }));

      expect(message.html).toContain('Hi &lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp; Co,');
      expect(message.html).toContain('A&lt;b&gt;');
      expect(message.html).not.toContain('<script>');
      expect(message.html).not.toContain('<b>');
    });

    it('keeps a name on one line, so it cannot add lines (a fake Token line) to the text', () => {
      const message = sut(makeTokenMailData({ name: 'Eve\n\nToken: forged', token: 'real' }));

      expect(message.text.startsWith('Hi Eve Token: forged,\n')).toBe(true);
      expect(extractToken(message.text)).toBe('real');
    });

    it('greets without a name when there is none', () => {
      expect(sut(makeTokenMailData({ name: null })).text.startsWith('Hi,\n\n')).toBe(true);
    });
  });

  it('sends the email-change confirmation to the new address it confirms', () => {
    const message = emailChangeMail(makeTokenMailData({ to: 'ada.new@example.com' }));

    expect(message.to).toBe('ada.new@example.com');
    expect(message.subject).toBe('Confirm your new email address for Acme');
  });

  it('tells the old address which address the account is moving to, on one line and HTML-escaped', () => {
    const message = emailChangeNoticeMail({
      ...makeTokenMailData({ to: 'ada@example.com' }),
      newEmail: 'eve@example.com\nToken: forged <b>',
    });

    expect(message.to).toBe('ada@example.com');
    expect(message.subject).toBe('Your Acme email address is being changed');
    expect(message.text).toContain('to change its email address to eve@example.com Token: forged <b>.');
    expect(extractToken(message.text)).toBe('abc123');
    expect(message.html).toContain('eve@example.com Token: forged &lt;b&gt;.');
    expect(message.text).toContain('If it was not you, cancel now');
  });

  it('tells that the password was changed, without any token', () => {
    const sut = passwordChangedMail;

    const message = sut({ appName: 'Acme', to: 'ada@example.com', name: 'Ada <3' });

    expect(message.subject).toBe('Your Acme password was changed');
    expect(message.text).toContain('The password of your Acme account was just changed.');
    expect(message.html).toContain('Hi Ada &lt;3,');
    expect(() => extractToken(message.text)).toThrow('No "Token: ..." line');
  });
});

describe(formatExpiry.name, () => {
  it.each([
    [1, '1 minute'],
    [30, '30 minutes'],
    [60, '1 hour'],
    [90, '90 minutes'],
    [120, '2 hours'],
    [1440, '24 hours'],
    [2880, '2 days'],
    [0.2, '1 minute'],
  ])('%p minutes → %p', (minutes, wording) => {
    expect(formatExpiry(minutes)).toBe(wording);
  });
});
