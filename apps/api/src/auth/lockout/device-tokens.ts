import { createHmac, hkdfSync, randomBytes, timingSafeEqual } from 'node:crypto';
import { Injectable } from '@nestjs/common';
import { ApiProperty } from '@nestjs/swagger';
import type { CookieSerializeOptions } from '@fastify/cookie';
import { AppConfig } from '@app/config';

/** `<nonce>.<expires>.<mac>`: 16 random bytes and a SHA-256 HMAC in base64url, an epoch in seconds. */
export const DEVICE_TOKEN_PATTERN = /^[A-Za-z0-9_-]{22}\.[0-9]{10}\.[A-Za-z0-9_-]{43}$/;
const DEVICE_TOKEN_LENGTH = 77;

/** The httpOnly cookie that carries the device token in browsers, sent back to `/v1/auth/*` only. */
export const DEVICE_COOKIE = 'device_token';
const DEVICE_COOKIE_PATH = '/v1/auth';

/** OpenAPI shape of a device token (request or response). */
export function ApiDeviceToken(): PropertyDecorator {
  return ApiProperty({
    minLength: DEVICE_TOKEN_LENGTH,
    maxLength: DEVICE_TOKEN_LENGTH,
    pattern: DEVICE_TOKEN_PATTERN.source,
  });
}

/**
 * The cookie's attributes: out of reach of scripts (httpOnly), HTTPS only, never sent on
 * cross-site requests, and only to the auth routes. It authenticates nothing by itself.
 */
export function deviceCookieOptions(maxAgeSeconds: number): CookieSerializeOptions {
  return { httpOnly: true, secure: true, sameSite: 'strict', path: DEVICE_COOKIE_PATH, maxAge: maxAgeSeconds };
}

/** A device token just issued, with how long it is valid. */
export interface IssuedDeviceToken {
  token: string;
  maxAgeSeconds: number;
}

/** A device token accepted for an account: its nonce names the device in the failure counters. */
export interface TrustedDevice {
  nonce: string;
}

/**
 * OWASP's device cookies ("Slow Down Online Guessing Attacks with Device Cookies"): a device that
 * signed in to an account receives a token bound to that account's login, which spares it the
 * lockout that failures from other clients cause. Stateless: `nonce.expires.HMAC(login, nonce,
 * expires)` with a key derived from `JWT_SECRET` (HKDF, so the JWT key itself signs nothing else);
 * rotating `JWT_SECRET` makes every device untrusted until its next sign-in.
 */
@Injectable()
export class DeviceTokens {
  private readonly key: Buffer;
  private readonly ttlSeconds: number;

  constructor(config: AppConfig) {
    this.key = Buffer.from(hkdfSync('sha256', config.auth.jwtSecret, '', 'login-device-token/v1', 32));
    this.ttlSeconds = config.loginLockout.deviceTokenTtlSeconds;
  }

  /** A new token for a device that just signed in as `login` (a normalised email). */
  issue(login: string, now = Date.now()): IssuedDeviceToken {
    const nonce = randomBytes(16).toString('base64url');
    const expires = String(Math.floor(now / 1000) + this.ttlSeconds).padStart(10, '0');
    return { token: `${nonce}.${expires}.${this.mac(login, nonce, expires)}`, maxAgeSeconds: this.ttlSeconds };
  }

  /** The device, when `token` was issued for `login` and has not expired; undefined otherwise. */
  verify(login: string, token: string | undefined, now = Date.now()): TrustedDevice | undefined {
    if (token === undefined || !DEVICE_TOKEN_PATTERN.test(token)) return undefined;
    const [nonce = '', expires = '', mac = ''] = token.split('.');
    if (Number(expires) * 1000 <= now) return undefined;
    const expected = Buffer.from(this.mac(login, nonce, expires), 'base64url');
    return timingSafeEqual(expected, Buffer.from(mac, 'base64url')) ? { nonce } : undefined;
  }

  private mac(login: string, nonce: string, expires: string): string {
    return createHmac('sha256', this.key).update(`${login}\n${nonce}\n${expires}`).digest('base64url');
  }
}
