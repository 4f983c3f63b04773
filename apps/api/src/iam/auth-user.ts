import { isIP } from 'node:net';
import type { FastifyRequest } from 'fastify';
import type { Role } from '@app/database';
import { ApiKeyNotAcceptedError } from './iam.errors.js';
import type { ApiKeyScope } from './permissions.js';

/**
 * The authenticated caller: from a verified access token (no database read), or from an API key
 * (its owner, with the key's id and scopes).
 */
export interface AuthUser {
  id: string;
  /** The access token's session; null for an API key, which has none. */
  sessionId: string | null;
  role: Role;
  /** Set when the caller authenticated with an API key. */
  apiKey?: { id: string; scopes: readonly ApiKeyScope[] };
}

/**
 * The session of the caller's access token, on routes that refuse API keys (those that take it
 * have no other callers): an API key reaching one is refused as the guard would.
 */
export function sessionIdOf(user: AuthUser): string {
  if (user.sessionId === null) throw new ApiKeyNotAcceptedError();
  return user.sessionId;
}

/** Where a request comes from, recorded on sessions and security events. */
export interface ClientInfo {
  /** A valid IPv4 or IPv6 address; undefined when a proxy header carried something else. */
  ip: string | undefined;
  /** The User-Agent, cut to {@link USER_AGENT_MAX_LENGTH} characters. */
  userAgent: string | undefined;
}

export const USER_AGENT_MAX_LENGTH = 255;

/**
 * The caller's IP (honouring TRUST_PROXY) and User-Agent, made safe to store and to show: with a
 * trusted proxy the IP comes from `X-Forwarded-For`, which a client can fill with anything.
 */
export function clientInfoOf(request: FastifyRequest): ClientInfo {
  const userAgent = request.headers['user-agent'];
  return {
    ip: isIP(request.ip) === 0 ? undefined : request.ip,
    userAgent: userAgent ? userAgent.slice(0, USER_AGENT_MAX_LENGTH) : undefined,
  };
}
