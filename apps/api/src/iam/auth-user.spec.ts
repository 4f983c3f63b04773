import { describe, expect, it } from 'vitest';
import type { FastifyRequest } from 'fastify';
import { clientInfoOf, sessionIdOf, USER_AGENT_MAX_LENGTH } from './auth-user.js';
import { ApiKeyNotAcceptedError } from './iam.errors.js';

const request = (ip: string, userAgent?: string) => ({ ip, headers: { 'user-agent': userAgent } }) as FastifyRequest;

describe(clientInfoOf.name, () => {
  it.each(['203.0.113.7', '2001:db8::1', '::ffff:192.0.2.1'])('keeps a valid address: %s', (ip) => {
    expect(clientInfoOf(request(ip)).ip).toBe(ip);
  });

  it.each(['<script>alert(1)</script>', 'unknown', '1.2.3.4, 5.6.7.8', ''])(
    'drops what a client put in X-Forwarded-For instead of an address: %j',
    (ip) => {
      expect(clientInfoOf(request(ip)).ip).toBeUndefined();
    },
  );

  it('cuts the User-Agent for storage', () => {
    expect(clientInfoOf(request('203.0.113.7', 'x'.repeat(1_000))).userAgent).toHaveLength(USER_AGENT_MAX_LENGTH);
    expect(clientInfoOf(request('203.0.113.7')).userAgent).toBeUndefined();
  });
});

describe(sessionIdOf.name, () => {
  it("is the access token's session, and refuses a caller by API key (which has none)", () => {
    expect(sessionIdOf({ id: 'user-1', sessionId: 'session-1', role: 'USER' })).toBe('session-1');
    const byKey = { id: 'user-1', sessionId: null, role: 'USER' as const, apiKey: { id: 'key-1', scopes: [] } };
    expect(() => sessionIdOf(byKey)).toThrow(ApiKeyNotAcceptedError);
  });
});
