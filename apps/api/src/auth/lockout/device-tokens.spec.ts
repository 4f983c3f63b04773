import { describe, expect, it } from 'vitest';
import { loadConfig } from '@app/config';
import { DEVICE_TOKEN_PATTERN, DeviceTokens } from './device-tokens.js';

const DAY_MS = 86_400_000;

function makeDeviceTokens(env: Record<string, string> = {}): DeviceTokens {
  return new DeviceTokens(loadConfig({ NODE_ENV: 'test', LOGIN_DEVICE_TOKEN_TTL: '30d', ...env }));
}

describe(DeviceTokens.name, () => {
  const sut = makeDeviceTokens();

  it('issues tokens of the documented shape, a new nonce each time, valid for the configured lifetime', () => {
    const a = sut.issue('owner@example.com');
    const b = sut.issue('owner@example.com');

    expect(a.token).toMatch(DEVICE_TOKEN_PATTERN);
    expect(a.token.split('.')[0]).not.toBe(b.token.split('.')[0]);
    expect(a.maxAgeSeconds).toBe(30 * 86_400);
  });

  it('accepts a token for the login it was issued for, naming the device by its nonce', () => {
    const { token } = sut.issue('owner@example.com');

    expect(sut.verify('owner@example.com', token)).toEqual({ nonce: token.split('.')[0] });
  });

  it('refuses it for another login, after it expires, and under another JWT_SECRET', () => {
    const now = Date.now();
    const { token } = sut.issue('owner@example.com', now);

    expect(sut.verify('other@example.com', token, now)).toBeUndefined();
    expect(sut.verify('owner@example.com', token, now + 30 * DAY_MS - 1_000)).toBeDefined();
    expect(sut.verify('owner@example.com', token, now + 30 * DAY_MS + 1_000)).toBeUndefined();
    expect(makeDeviceTokens({ JWT_SECRET: 'x'.repeat(40) }).verify('owner@example.com', token, now)).toBeUndefined();
  });

  it('refuses anything that is not a token as issued', () => {
    for (const token of [undefined, '', 'a.b.c', `${'A'.repeat(22)}.0000000000.${'A'.repeat(43)}`]) {
      expect(sut.verify('owner@example.com', token)).toBeUndefined();
    }
  });
});
