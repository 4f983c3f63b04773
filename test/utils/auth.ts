import { createHash, randomBytes } from 'node:crypto';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { hashPassword } from '@app/common';
import { PrismaService, type Role } from '@app/database';

export interface TestAccount {
  id: string;
  email: string;
  password: string;
  name: string;
  accessToken: string;
  refreshToken: string;
  /** `{ authorization: 'Bearer <accessToken>' }` */
  auth: { authorization: string };
}

/** A password that passes the policy, unique per call. */
export function strongPassword(): string {
  return `Quiet-harbor-${randomBytes(6).toString('hex')}`;
}

export function uniqueEmail(label = 'user'): string {
  return `${label}-${randomBytes(5).toString('hex')}@example.com`;
}

/** How the API stores a token: its sha256, in hex. */
export function sha256Hex(value: string): string {
  return createHash('sha256').update(value, 'utf8').digest('hex');
}

export function bearer(accessToken: string): { authorization: string } {
  return { authorization: `Bearer ${accessToken}` };
}

function decodeSegment(segment: string): Record<string, unknown> {
  return JSON.parse(Buffer.from(segment, 'base64url').toString('utf8'));
}

/** A JWT's header and payload, unverified. */
export function decodeJwt(token: string): { header: Record<string, unknown>; payload: Record<string, unknown> } {
  const [header, payload] = token.split('.');
  return { header: decodeSegment(header ?? ''), payload: decodeSegment(payload ?? '') };
}

/** The session (`sid`) an access token belongs to. */
export function sessionIdOf(accessToken: string): string {
  return decodeJwt(accessToken).payload.sid as string;
}

export async function login(
  app: NestFastifyApplication,
  email: string,
  password: string,
  headers: Record<string, string> = {},
): Promise<{ accessToken: string; refreshToken: string; expiresIn: number }> {
  const res = await app.inject({ method: 'POST', url: '/v1/auth/login', payload: { email, password }, headers });
  if (res.statusCode !== 200) throw new Error(`login failed: ${res.statusCode} ${res.body}`);
  return res.json();
}

/** Registers through the API and signs in. */
export async function registerAndLogin(
  app: NestFastifyApplication,
  overrides: { email?: string; name?: string; password?: string } = {},
): Promise<TestAccount> {
  const email = overrides.email ?? uniqueEmail();
  const password = overrides.password ?? strongPassword();
  const name = overrides.name ?? 'Test User';
  const res = await app.inject({ method: 'POST', url: '/v1/auth/register', payload: { email, password, name } });
  if (res.statusCode !== 201) throw new Error(`register failed: ${res.statusCode} ${res.body}`);
  const tokens = await login(app, email, password);
  return { id: res.json().id, email, password, name, ...tokens, auth: bearer(tokens.accessToken) };
}

/** An account with a role the API cannot grant itself (e.g. the first admin), then signed in. */
export async function createAccountWithRole(app: NestFastifyApplication, role: Role): Promise<TestAccount> {
  const email = uniqueEmail(role.toLowerCase());
  const password = strongPassword();
  const user = await app.get(PrismaService).user.create({
    data: {
      email,
      name: `Test ${role}`,
      passwordHash: await hashPassword(password),
      role,
      emailVerifiedAt: new Date(),
    },
  });
  const tokens = await login(app, email, password);
  return { id: user.id, email, password, name: user.name, ...tokens, auth: bearer(tokens.accessToken) };
}
