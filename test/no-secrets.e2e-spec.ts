import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { createHash } from 'node:crypto';
import type { InjectOptions, Response } from 'light-my-request';
import { PrismaService } from '@app/database';
import {
  bearer,
  createAccountWithRole,
  registerAndLogin,
  strongPassword,
  uniqueEmail,
  type TestAccount,
} from './utils/auth.js';
import { extractToken, startTestSmtpServer, type TestSmtpServer } from './utils/smtp-server.js';
import { WEBHOOK_PATH, WEBHOOK_SECRET, signature, stripeEvent } from './utils/stripe-events.js';
import { createTestApp, type TestApp } from './utils/test-app.js';
import { seedTestPlans } from './utils/billing.js';
import { OpenApiConformance } from './utils/openapi-conformance.js';
import { exampleOf, pathOf, readSpec, specOperations, type SpecOperation } from './utils/openapi-spec.js';

const sha256 = (value: string) => createHash('sha256').update(value).digest('hex');

/** Where an operation stands in a walk from the spec: creations first, reads and changes next, deletions last (deepest first). */
function walkOrder(op: SpecOperation): number {
  const depth = op.path.split('/').length;
  if (op.method === 'DELETE') return 1_000 - depth;
  return depth * 10 + ({ POST: 0, GET: 1, PUT: 2, PATCH: 2 } as Record<string, number>)[op.method]!;
}

/**
 * Calls every route of the API and checks that no response body or header ever carries a
 * password, a password hash or a token hash. The flows that need more than the spec can say
 * (emailed tokens, sessions, checkout links, signed webhooks) are scripted; every other operation
 * of openapi.json (a feature added since, a generated one) is then called from its spec alone:
 * path parameters take the id of a resource the walk created at the parent path (or an example of
 * their format), bodies an example of their schema, with an admin's token.
 */
describe('no secret in any response (e2e)', () => {
  let t: TestApp;
  let smtp: TestSmtpServer;
  const responses: Array<{ operation: string; status: number; text: string; res: Response }> = [];
  const secrets = new Set<string>();

  beforeAll(async () => {
    smtp = await startTestSmtpServer();
    t = await createTestApp({ env: { SMTP_URL: smtp.url, STRIPE_WEBHOOK_SECRET: WEBHOOK_SECRET } });
    await seedTestPlans(t);
  });

  afterAll(async () => {
    await t.close();
    await smtp.close();
  });

  async function call(operation: string, options: InjectOptions): Promise<Response> {
    const res = await t.app.inject(options);
    responses.push({ operation, status: res.statusCode, text: `${JSON.stringify(res.headers)}\n${res.body}`, res });
    return res;
  }

  async function mailTokenFor(to: string, subject: RegExp): Promise<string> {
    const message = await smtp.waitForMessage((m) => m.to.includes(to) && subject.test(m.subject), 5_000);
    return extractToken(message.text);
  }

  it('walks every route', async () => {
    const admin: TestAccount = await createAccountWithRole(t.app, 'ADMIN');
    const email = uniqueEmail('walker');
    const password = strongPassword();
    secrets.add(password);

    await call('GET /health/live', { method: 'GET', url: '/health/live' });
    await call('GET /health/ready', { method: 'GET', url: '/health/ready' });
    const registered = await call('POST /v1/auth/register', {
      method: 'POST',
      url: '/v1/auth/register',
      payload: { email, password, name: 'Walker' },
    });
    const userId = registered.json().id as string;
    const verifyToken = await mailTokenFor(email, /verify/i);
    await call('POST /v1/auth/email/verify', {
      method: 'POST',
      url: '/v1/auth/email/verify',
      payload: { token: verifyToken },
    });

    const loggedIn = await call('POST /v1/auth/login', {
      method: 'POST',
      url: '/v1/auth/login',
      payload: { email, password },
    });
    const first = loggedIn.json() as { accessToken: string; refreshToken: string };
    const refreshed = await call('POST /v1/auth/refresh', {
      method: 'POST',
      url: '/v1/auth/refresh',
      payload: { refreshToken: first.refreshToken },
    });
    const tokens = refreshed.json() as { accessToken: string; refreshToken: string };
    for (const token of [first.refreshToken, tokens.refreshToken]) secrets.add(sha256(token));
    const auth = bearer(tokens.accessToken);

    await call('POST /v1/auth/email/resend', { method: 'POST', url: '/v1/auth/email/resend', headers: auth });
    const unverified = await registerAndLogin(t.app);
    await call('POST /v1/auth/email/resend', {
      method: 'POST',
      url: '/v1/auth/email/resend',
      headers: unverified.auth,
    });
    await call('GET /v1/users/me', { method: 'GET', url: '/v1/users/me', headers: auth });
    await call('PATCH /v1/users/me', {
      method: 'PATCH',
      url: '/v1/users/me',
      headers: auth,
      payload: { name: 'Walker 2' },
    });
    const sessions = await call('GET /v1/auth/sessions', { method: 'GET', url: '/v1/auth/sessions', headers: auth });
    const other = await call('POST /v1/auth/login', {
      method: 'POST',
      url: '/v1/auth/login',
      payload: { email, password },
    });
    secrets.add(sha256(other.json().refreshToken));
    const otherSession = (
      (await t.app.inject({ method: 'GET', url: '/v1/auth/sessions', headers: auth })).json() as Array<{
        id: string;
        current: boolean;
      }>
    ).find((s) => !s.current && !sessions.json().some((x: { id: string }) => x.id === s.id));
    await call('DELETE /v1/auth/sessions/{id}', {
      method: 'DELETE',
      url: `/v1/auth/sessions/${otherSession?.id}`,
      headers: auth,
    });

    const newPassword = strongPassword();
    secrets.add(newPassword);
    await call('POST /v1/auth/password/change', {
      method: 'POST',
      url: '/v1/auth/password/change',
      headers: auth,
      payload: { currentPassword: password, newPassword },
    });
    await call('POST /v1/auth/password/forgot', {
      method: 'POST',
      url: '/v1/auth/password/forgot',
      payload: { email },
    });
    const resetToken = await mailTokenFor(email, /reset/i);
    const resetPassword = strongPassword();
    secrets.add(resetPassword);
    await call('POST /v1/auth/password/reset', {
      method: 'POST',
      url: '/v1/auth/password/reset',
      payload: { token: resetToken, newPassword: resetPassword },
    });

    const again = (
      await call('POST /v1/auth/login', {
        method: 'POST',
        url: '/v1/auth/login',
        payload: { email, password: resetPassword },
      })
    ).json();
    const auth2 = bearer(again.accessToken);
    await call('GET /v1/users', { method: 'GET', url: '/v1/users?limit=100', headers: admin.auth });
    await call('GET /v1/users/{id}', { method: 'GET', url: `/v1/users/${userId}`, headers: admin.auth });
    await call('PATCH /v1/users/{id}', {
      method: 'PATCH',
      url: `/v1/users/${userId}`,
      headers: admin.auth,
      payload: { status: 'ACTIVE' },
    });
    await call('POST /v1/auth/logout', { method: 'POST', url: '/v1/auth/logout', headers: auth2 });
    const third = (
      await call('POST /v1/auth/login', {
        method: 'POST',
        url: '/v1/auth/login',
        payload: { email, password: resetPassword },
      })
    ).json();
    await call('POST /v1/auth/logout-all', {
      method: 'POST',
      url: '/v1/auth/logout-all',
      headers: bearer(third.accessToken),
    });
    const mover = (
      await call('POST /v1/auth/login', {
        method: 'POST',
        url: '/v1/auth/login',
        payload: { email, password: resetPassword },
      })
    ).json();
    await call('PATCH /v1/users/me', {
      method: 'PATCH',
      url: '/v1/users/me',
      headers: bearer(mover.accessToken),
      payload: { email: uniqueEmail('walker-moved'), currentPassword: resetPassword },
    });
    await call('POST /v1/auth/email/cancel-change', {
      method: 'POST',
      url: '/v1/auth/email/cancel-change',
      payload: { token: await mailTokenFor(email, /email address is being changed$/) },
    });
    const fourth = (
      await call('POST /v1/auth/login', {
        method: 'POST',
        url: '/v1/auth/login',
        payload: { email, password: resetPassword },
      })
    ).json();
    await call('DELETE /v1/users/me', {
      method: 'DELETE',
      url: '/v1/users/me',
      headers: bearer(fourth.accessToken),
      payload: { password: resetPassword },
    });

    // Billing, on the local provider.
    const buyer = await createAccountWithRole(t.app, 'USER');
    await call('GET /v1/billing/plans', { method: 'GET', url: '/v1/billing/plans' });
    await call('GET /v1/billing/entitlements', { method: 'GET', url: '/v1/billing/entitlements', headers: buyer.auth });
    const checkout = await call('POST /v1/billing/checkout', {
      method: 'POST',
      url: '/v1/billing/checkout',
      headers: { ...buyer.auth, 'idempotency-key': 'walk-checkout' },
      payload: { planCode: 'pro' },
    });
    const checkoutPath = new URL(checkout.json().url as string).pathname;
    await call('GET /v1/billing/local-checkout/{token}', { method: 'GET', url: checkoutPath });
    await call('POST /v1/billing/local-checkout/{token}', { method: 'POST', url: checkoutPath });
    await call('GET /v1/billing/subscription', { method: 'GET', url: '/v1/billing/subscription', headers: buyer.auth });
    await call('POST /v1/billing/subscription/change', {
      method: 'POST',
      url: '/v1/billing/subscription/change',
      headers: buyer.auth,
      payload: { planCode: 'business' },
    });
    await call('POST /v1/billing/subscription/cancel', {
      method: 'POST',
      url: '/v1/billing/subscription/cancel',
      headers: buyer.auth,
    });
    await call('POST /v1/billing/subscription/resume', {
      method: 'POST',
      url: '/v1/billing/subscription/resume',
      headers: buyer.auth,
    });
    await call('POST /v1/billing/portal', { method: 'POST', url: '/v1/billing/portal', headers: buyer.auth });
    await call('GET /v1/billing/invoices', { method: 'GET', url: '/v1/billing/invoices', headers: buyer.auth });
    await call('GET /v1/billing/subscriptions', {
      method: 'GET',
      url: '/v1/billing/subscriptions',
      headers: admin.auth,
    });
    const event = JSON.stringify(stripeEvent('customer.created', { id: 'cus_walk', object: 'customer' }));
    await call('POST /v1/billing/webhooks/stripe', {
      method: 'POST',
      url: WEBHOOK_PATH,
      headers: { 'content-type': 'application/json', 'stripe-signature': signature(event) },
      payload: event,
    });
    for (const row of await t.app.get(PrismaService).checkoutSession.findMany({ select: { tokenHash: true } }))
      secrets.add(row.tokenHash);

    const victim = await createAccountWithRole(t.app, 'USER');
    await call('DELETE /v1/users/{id}', { method: 'DELETE', url: `/v1/users/${victim.id}`, headers: admin.auth });

    // Refusals, so their bodies and headers are checked against the spec too.
    await call('GET /v1/users/me', { method: 'GET', url: '/v1/users/me' });
    await call('GET /v1/users/{id}', { method: 'GET', url: `/v1/users/${victim.id}`, headers: buyer.auth });
    await call('GET /v1/users/{id}', { method: 'GET', url: '/v1/users/not-a-uuid', headers: admin.auth });
    await call('GET /v1/users/{id}', {
      method: 'GET',
      url: '/v1/users/00000000-0000-4000-8000-000000000000',
      headers: admin.auth,
    });
    await call('GET /v1/users', {
      method: 'GET',
      url: `/v1/users?limit=0&cursor=${'%'.repeat(3)}`,
      headers: admin.auth,
    });
    await call('POST /v1/auth/login', {
      method: 'POST',
      url: '/v1/auth/login',
      payload: { email: uniqueEmail('nobody'), password: 'wrong-password' },
    });
    await call('POST /v1/auth/register', {
      method: 'POST',
      url: '/v1/auth/register',
      headers: { 'content-type': 'application/xml' },
      payload: '<user/>',
    });
    await call('POST /v1/auth/register', {
      method: 'POST',
      url: '/v1/auth/register',
      headers: { 'content-type': 'application/json' },
      payload: '{"email":',
    });
    await call('POST /v1/billing/checkout', {
      method: 'POST',
      url: '/v1/billing/checkout',
      headers: buyer.auth,
      payload: { planCode: 'no-such-plan' },
    });
    await call('GET /v1/billing/local-checkout/{token}', { method: 'GET', url: checkoutPath });
    await call('POST /v1/billing/webhooks/stripe', {
      method: 'POST',
      url: WEBHOOK_PATH,
      headers: { 'content-type': 'application/json', 'stripe-signature': 't=1,v1=00' },
      payload: event,
    });

    // Every operation the script above does not know, from the spec alone.
    const spec = readSpec();
    const walked = new Set(responses.map((r) => r.operation));
    const created = new Map<string, string>();
    const caller = await createAccountWithRole(t.app, 'ADMIN');
    const rest = specOperations(spec)
      .filter((op) => !walked.has(op.name))
      .sort((a, b) => walkOrder(a) - walkOrder(b));
    for (const op of rest) {
      const parameters = op.operation.parameters ?? [];
      const example = (name: string, where: 'query' | 'header') =>
        String(exampleOf(spec, parameters.find((p) => p.name === name && p.in === where)?.schema ?? {}, name));
      const url = pathOf(spec, op, (parent) => created.get(parent));
      const query = parameters
        .filter((p) => p.in === 'query' && p.required)
        .map((p) => `${encodeURIComponent(p.name)}=${encodeURIComponent(example(p.name, 'query'))}`);
      const headers: Record<string, string> = {
        ...(op.operation.security?.some((scheme) => 'bearer' in scheme) ? caller.auth : {}),
        ...Object.fromEntries(
          parameters.filter((p) => p.in === 'header' && p.required).map((p) => [p.name, example(p.name, 'header')]),
        ),
      };
      const body = op.operation.requestBody?.content['application/json']?.schema;
      const res = await call(op.name, {
        method: op.method,
        url: query.length > 0 ? `${url}?${query.join('&')}` : url,
        headers,
        ...(body ? { payload: exampleOf(spec, body) as Record<string, unknown> } : {}),
      });
      const json = res.statusCode < 300 && String(res.headers['content-type']).includes('json');
      const id = json && op.method === 'POST' ? (res.json() as { id?: unknown }).id : undefined;
      if (typeof id === 'string') created.set(op.path, id);
    }

    // Every stored hash, too, must never appear.
    const prisma = t.app.get(PrismaService);
    for (const user of await prisma.user.findMany({ select: { passwordHash: true } })) secrets.add(user.passwordHash);
    for (const row of await prisma.refreshToken.findMany({ select: { tokenHash: true } })) secrets.add(row.tokenHash);
    for (const row of await prisma.userToken.findMany({ select: { tokenHash: true } })) secrets.add(row.tokenHash);

    const operations = specOperations(spec).map((op) => op.name);
    expect([...new Set(responses.map((r) => r.operation))].sort()).toEqual(operations.sort());
    // Each was reached with a success too, so its success body is checked, not only its refusals.
    const succeeded = new Set(responses.filter((r) => r.status < 300).map((r) => r.operation));
    expect(operations.filter((name) => !succeeded.has(name))).toEqual([]);
    expect(responses.filter((r) => r.status >= 500)).toEqual([]);
  });

  it('answered only statuses, bodies and headers that openapi.json declares', () => {
    const spec = new OpenApiConformance();
    expect(new Set(responses.map((r) => r.status))).toEqual(
      new Set([200, 201, 202, 204, 400, 401, 403, 404, 409, 415]),
    );
    expect(responses.flatMap((r) => spec.problems(r.operation, r.res))).toEqual([]);
  });

  it('found no password, hash or secret field in any of them', () => {
    expect(responses.length).toBeGreaterThan(20);
    for (const response of responses) {
      expect({ operation: response.operation, leaks: /passwordHash|tokenHash|\$argon2/i.test(response.text) }).toEqual({
        operation: response.operation,
        leaks: false,
      });
      for (const secret of secrets) {
        if (secret.length < 8 || secret === '!deleted') continue;
        expect({ operation: response.operation, containsSecret: response.text.includes(secret) }).toEqual({
          operation: response.operation,
          containsSecret: false,
        });
      }
    }
  });
});
