import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { randomBytes, randomUUID } from 'node:crypto';
import { ApiError, createApiClient, unwrap, type ApiClient, type Schemas } from '@app/api-client';
import { STOPPED_BY_SIGTERM, freePort, startServer, type RunningServer } from './utils/built-app.js';
import { extractToken, startTestSmtpServer, type TestSmtpServer } from './utils/smtp-server.js';

/** The thrown ApiError of a call that must fail. */
async function apiError(call: Promise<unknown>): Promise<ApiError> {
  const error = await call.then(
    () => undefined,
    (reason: unknown) => reason,
  );
  if (!(error instanceof ApiError)) throw new Error(`expected an ApiError, got ${String(error)}`);
  return error;
}

/**
 * The built server, driven only through the generated client (`@app/api-client`), as a frontend
 * would: every request and response here is typed by `libs/api-client/src/schema.d.ts`, so a spec
 * that drifts from the code breaks the type check.
 */
describe('the generated API client against the built server (e2e)', () => {
  let smtp: TestSmtpServer;
  let server: RunningServer | undefined;
  let client: ApiClient;
  let accessToken: string | undefined;

  beforeAll(async () => {
    smtp = await startTestSmtpServer();
    server = await startServer(
      { DATABASE_EMBEDDED_DIR: 'memory://', SMTP_URL: smtp.url, DATABASE_SEED_ON_BOOT: 'true' },
      await freePort(),
    );
    client = createApiClient({ baseUrl: server.baseUrl, getAccessToken: () => accessToken });
  }, 60_000);

  afterAll(async () => {
    if (server) {
      server.child.kill('SIGTERM');
      await expect(server.exited).resolves.toEqual(STOPPED_BY_SIGTERM);
    }
    await smtp?.close();
  });

  it('registers, verifies, signs in, refreshes, subscribes to pro and signs out', async () => {
    const email = `client-${randomBytes(5).toString('hex')}@example.com`;
    const password = `Quiet-harbor-${randomBytes(6).toString('hex')}`;

    const registered = await unwrap(
      client.POST('/v1/auth/register', { body: { email, password, name: 'Client User' } }),
    );
    expect(registered.email).toBe(email);
    expect(registered.emailVerified).toBe(false);

    const mail = await smtp.waitForMessage((message) => message.to.includes(email));
    const verified = await unwrap(client.POST('/v1/auth/email/verify', { body: { token: extractToken(mail.text) } }));
    expect(verified).toBeUndefined(); // 204

    const login = await unwrap(client.POST('/v1/auth/login', { body: { email, password } }));
    expect(login.expiresIn).toBe(15 * 60);
    accessToken = login.accessToken;

    const refreshed = await unwrap(client.POST('/v1/auth/refresh', { body: { refreshToken: login.refreshToken } }));
    expect(refreshed.refreshToken).not.toBe(login.refreshToken);
    accessToken = refreshed.accessToken;

    const me = await unwrap(client.GET('/v1/users/me'));
    expect(me.id).toBe(registered.id);
    expect(me.emailVerified).toBe(true);

    const plans = await unwrap(client.GET('/v1/billing/plans'));
    expect(plans.map((plan) => plan.code)).toEqual(expect.arrayContaining(['free', 'pro']));
    const pro = plans.find((plan) => plan.code === 'pro');
    expect(pro?.features).toContain('api.export');
    expect(pro?.trialDays).toBe(14);

    const checkout = await unwrap(
      client.POST('/v1/billing/checkout', {
        params: { header: { 'Idempotency-Key': randomUUID() } },
        body: { planCode: 'pro' },
      }),
    );
    // The local provider's checkout page is HTML for a browser, outside the JSON API: plain fetch.
    const url = new URL(checkout.url);
    expect(url.pathname).toMatch(/^\/v1\/billing\/local-checkout\/[A-Za-z0-9_-]{43}$/);
    const page = await fetch(url);
    expect(page.status).toBe(200);
    expect(await page.text()).toContain('Subscribe to Pro');
    const confirmed = await fetch(url, { method: 'POST' });
    expect(confirmed.status).toBe(200);
    expect(await confirmed.text()).toContain('You are subscribed to Pro');

    const entitlements = await unwrap(client.GET('/v1/billing/entitlements'));
    expect(entitlements.planCode).toBe('pro');
    expect(entitlements.features).toContain('api.export');
    expect(entitlements.limits['projects.max']).toBe(20);

    const subscription = await unwrap(client.GET('/v1/billing/subscription'));
    const trialing = 'TRIALING' satisfies Schemas['SubscriptionStatus'];
    expect(subscription.status).toBe(trialing);
    expect(subscription.planCode).toBe('pro');
    expect(subscription.trialEndsAt).not.toBeNull();

    // A machine client's key: shown once, then the client sends it as X-API-Key, within its scopes.
    const created = await unwrap(
      client.POST('/v1/users/me/api-keys', {
        body: { name: 'client e2e', scopes: ['profile:read' satisfies Schemas['ApiKeyScope']], expiresInDays: 1 },
      }),
    );
    expect(created.key).toMatch(/^nsk_[A-Za-z0-9]{12}_[A-Za-z0-9]{44}$/);
    const machine = createApiClient({ baseUrl: server!.baseUrl, apiKey: created.key });
    expect((await unwrap(machine.GET('/v1/users/me'))).id).toBe(registered.id);
    const outOfScope = await apiError(unwrap(machine.GET('/v1/billing/entitlements')));
    expect([outOfScope.status, outOfScope.code]).toEqual([403, 'API_KEY_SCOPE_MISSING']);
    const listed = await unwrap(client.GET('/v1/users/me/api-keys'));
    expect(listed.map((key) => key.id)).toEqual([created.id]);
    expect(JSON.stringify(listed)).not.toContain(created.key);
    await unwrap(client.DELETE('/v1/users/me/api-keys/{id}', { params: { path: { id: created.id } } }));
    const revoked = await apiError(unwrap(machine.GET('/v1/users/me')));
    expect([revoked.status, revoked.code]).toEqual([401, 'INVALID_API_KEY']);

    const loggedOut = await unwrap(client.POST('/v1/auth/logout'));
    expect(loggedOut).toBeUndefined(); // 204

    // The access token is still unexpired, but its session has ended.
    const error = await apiError(unwrap(client.GET('/v1/users/me')));
    expect(error.status).toBe(401);
    expect(error.code).toBe('INVALID_ACCESS_TOKEN');
    expect(error.requestId).toBe(error.response.headers.get('x-request-id'));
    expect(error.problem?.instance).toBe('/v1/users/me');
  }, 60_000);

  it('throws problem+json answers as ApiErrors with their code, field errors and request id', async () => {
    const invalid = await apiError(
      unwrap(
        client.POST('/v1/auth/register', {
          body: { email: 'not-an-email', password: 'x', name: 'Invalid' },
          headers: { 'x-request-id': 'client-e2e-1' },
        }),
      ),
    );
    expect(invalid.status).toBe(400);
    expect(invalid.code).toBe('VALIDATION_FAILED');
    expect(invalid.requestId).toBe('client-e2e-1');
    expect(invalid.problem?.errors?.map((field) => field.field)).toContain('email');

    const wrong = await apiError(
      unwrap(client.POST('/v1/auth/login', { body: { email: 'nobody@example.com', password: 'Wrong-password-1' } })),
    );
    expect(wrong.status).toBe(401);
    expect(wrong.code).toBe('INVALID_CREDENTIALS');
    expect(wrong.message).toBe(`INVALID_CREDENTIALS: ${wrong.problem?.detail}`);
  }, 30_000);
});
