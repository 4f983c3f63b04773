import type { InjectOptions, LightMyRequestResponse } from 'fastify';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { strongPassword, uniqueEmail } from './auth.js';

let lastIp = 0;

/**
 * A client address not used before in this test file (10.0.x.y), so per-IP counters of one test
 * never touch another's. Send it as `remoteAddress` (no proxy header is trusted by default).
 */
export function nextIp(): string {
  lastIp++;
  return `10.0.${Math.floor(lastIp / 250)}.${(lastIp % 250) + 1}`;
}

/** `app.inject` from the client address `ip`. */
export function send(app: NestFastifyApplication, ip: string, options: InjectOptions): Promise<LightMyRequestResponse> {
  return app.inject({ ...options, remoteAddress: ip });
}

/** `POST /v1/auth/login` from `ip`, with extra body fields (`deviceToken`) and cookies if given. */
export function loginFrom(
  app: NestFastifyApplication,
  ip: string,
  email: string,
  password: string,
  extra: { deviceToken?: string; cookies?: Record<string, string> } = {},
): Promise<LightMyRequestResponse> {
  const { cookies, ...body } = extra;
  return send(app, ip, {
    method: 'POST',
    url: '/v1/auth/login',
    payload: { email, password, ...body },
    ...(cookies ? { cookies } : {}),
  });
}

/** Registers an account from an address of its own, so the setup spends none of the tested counters. */
export async function registerFromNewAddress(
  app: NestFastifyApplication,
  label = 'limited',
): Promise<{ email: string; password: string }> {
  const account = { email: uniqueEmail(label), password: strongPassword() };
  const res = await send(app, nextIp(), {
    method: 'POST',
    url: '/v1/auth/register',
    payload: { ...account, name: 'Limited' },
  });
  if (res.statusCode !== 201) throw new Error(`register failed: ${res.statusCode} ${res.body}`);
  return account;
}
