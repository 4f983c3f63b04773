import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { InjectOptions, Response } from 'light-my-request';
import { createAccountWithRole } from './utils/auth.js';
import { seedTestPlans } from './utils/billing.js';
import { WEBHOOK_SECRET, signature } from './utils/stripe-events.js';
import { CRAFTED_CURSORS } from './utils/cursors.js';
import {
  exampleOf,
  jsonBodySchema,
  queryParameters,
  readSpec,
  resolve,
  walkedOperations,
  walksEveryOperation,
  type SchemaObject,
} from './utils/openapi-spec.js';
import { createTestApp, type TestApp } from './utils/test-app.js';

const deep = (levels: number) => `${'{"a":'.repeat(levels)}1${'}'.repeat(levels)}`;

/** Path parameter values: well-formed but unknown, malformed, hostile. */
const PATH_VALUES = [
  '00000000-0000-4000-8000-000000000000',
  'not-a-uuid',
  '%00',
  '%FF%FE',
  'x'.repeat(2_000),
  '..%2F..%2Fetc%2Fpasswd',
  'A'.repeat(43),
];

/** Bodies (with their content types): malformed JSON, wrong shapes and types, hostile keys. */
const BODIES: Array<[string, string | Buffer]> = [
  ['application/json', '{"email":'],
  ['application/json', 'null'],
  ['application/json', '[]'],
  ['application/json', '"a string"'],
  ['application/json', '12345678901234567890'],
  ['application/json', '{"__proto__":{"isAdmin":true},"constructor":{"prototype":{"x":1}}}'],
  ['application/json', deep(64)],
  ['application/json', `{"a":${'['.repeat(20_000)}${']'.repeat(20_000)}}`],
  ['application/json', JSON.stringify({ email: 1, password: [], name: {}, planCode: 3, token: null })],
  ['application/json', JSON.stringify({ refreshToken: 'a'.repeat(5_000), newPassword: '\u0000'.repeat(20) })],
  ['application/json', JSON.stringify({ name: '\ud800', email: 'a@b.c\u0000', status: 'DELETED', role: 'ROOT' })],
  ['application/json', Buffer.from([0x7b, 0x22, 0x61, 0x22, 0x3a, 0x22, 0xff, 0xfe, 0x22, 0x7d])],
  ['application/json; charset=utf-16', '{"a":1}'],
  ['text/plain', 'hello'],
  ['application/x-www-form-urlencoded', 'email=a%40b.c&password=x'],
  ['multipart/form-data; boundary=x', '--x\r\nContent-Disposition: form-data; name="a"\r\n\r\nb\r\n--x--'],
  ['application/xml', '<a/>'],
];

/** Query strings: wrong types, repeated and array-shaped parameters, hostile values. */
const QUERIES = [
  'limit=abc',
  'limit=-1',
  'limit=1e309',
  'limit=1&limit=2',
  'cursor=%FF',
  'cursor[]=a',
  'cursor=eyJhIjoxfQ',
  'sort=__proto__&order=sideways',
  'status=&role=',
  'emailPrefix=%00',
  '__proto__[x]=1',
];

/** Headers that reach the guards and interceptors. */
const HEADERS: Array<Record<string, string | string[]>> = [
  { authorization: 'Bearer a.b.c' },
  { authorization: 'Bearer eyJhbGciOiJub25lIn0.eyJzdWIiOiJ4In0.' },
  { authorization: 'Basic dXNlcjpwYXNz' },
  { authorization: `Bearer ${'x'.repeat(8_000)}` },
  { 'idempotency-key': '\u00e9t\u00e9' },
  { 'idempotency-key': ['a', 'b'] },
  { 'x-request-id': '../../etc' },
  { 'stripe-signature': 't=1,v1=zz' },
  { 'content-length': '5' },
];

/**
 * Sends every operation malformed path parameters, bodies, query strings and headers, with a
 * valid admin token so validation and the services are reached: nothing may answer 5xx, and
 * every refusal is problem+json. Every operation that takes a `cursor` also gets well-formed
 * cursors of the wrong types, and must refuse each as a 400 VALIDATION_FAILED on `cursor`.
 */
describe('malformed input on every route (e2e)', () => {
  let t: TestApp;
  const failures: string[] = [];
  let sent = 0;

  beforeAll(async () => {
    t = await createTestApp({
      env: {
        STRIPE_WEBHOOK_SECRET: WEBHOOK_SECRET,
        RATE_LIMIT_PER_MINUTE: '1000000',
        RATE_LIMIT_AUTH_PER_MINUTE: '1000000',
      },
    });
    await seedTestPlans(t);
  });

  afterAll(async () => {
    await t.close();
  });

  const cursorFailures: string[] = [];
  let cursorsSent = 0;

  async function send(label: string, options: InjectOptions): Promise<Response> {
    const res = await t.app.inject(options);
    sent++;
    const problemJson = String(res.headers['content-type'] ?? '').startsWith('application/problem+json');
    if (res.statusCode >= 500 || (res.statusCode >= 400 && !problemJson)) {
      failures.push(`${label}: ${res.statusCode} ${res.body.slice(0, 200)}`);
    }
    return res;
  }

  it('never answers 5xx, and refuses with problem+json', async () => {
    for (const operation of walkedOperations()) {
      // A fresh admin per operation: a logout or a deletion must not blunt the next requests.
      const admin = await createAccountWithRole(t.app, 'ADMIN');
      const url = (value: string) => operation.path.replace(/\{[^}]+\}/g, value);
      const label = operation.name;
      const base = { method: operation.method, headers: admin.auth };
      const hasBody = !['GET', 'HEAD'].includes(operation.method);

      for (const value of PATH_VALUES.slice(0, operation.path.includes('{') ? undefined : 1)) {
        await send(`${label} path=${value.slice(0, 20)}`, { ...base, url: url(value) });
      }
      const path = url(PATH_VALUES[0] ?? '');
      for (const query of QUERIES) await send(`${label} ?${query}`, { ...base, url: `${path}?${query}` });
      if (queryParameters(operation.operation).includes('cursor')) {
        for (const [name, cursor] of CRAFTED_CURSORS) {
          const res = await send(`${label} cursor with ${name}`, { ...base, url: `${path}?cursor=${cursor}` });
          cursorsSent++;
          const body = (String(res.headers['content-type']).includes('json') ? res.json() : {}) as {
            code?: string;
            errors?: Array<{ field: string }>;
          };
          const onCursor = body.errors?.some((error) => error.field === 'cursor') ?? false;
          if (res.statusCode !== 400 || body.code !== 'VALIDATION_FAILED' || !onCursor) {
            cursorFailures.push(`${label} cursor with ${name}: ${res.statusCode} ${res.body.slice(0, 200)}`);
          }
        }
      }
      for (const headers of HEADERS) {
        const body = hasBody ? { payload: '{}', contentType: { 'content-type': 'application/json' } } : undefined;
        await send(`${label} ${JSON.stringify(headers).slice(0, 60)}`, {
          ...base,
          url: path,
          headers: { ...admin.auth, ...body?.contentType, ...headers },
          ...(body ? { payload: body.payload } : {}),
        });
      }
      if (!hasBody) continue;
      for (const [contentType, payload] of BODIES) {
        const headers = { ...admin.auth, 'content-type': contentType };
        await send(`${label} ${contentType} ${String(payload).slice(0, 40)}`, { ...base, url: path, headers, payload });
        if (operation.path.endsWith('/webhooks/stripe') && typeof payload === 'string') {
          // Correctly signed, so the payload itself reaches the event parser.
          await send(`${label} signed ${payload.slice(0, 40)}`, {
            ...base,
            url: path,
            headers: { ...headers, 'stripe-signature': signature(payload) },
            payload,
          });
        }
      }
    }

    const listRoutes = walkedOperations().filter((op) => queryParameters(op.operation).includes('cursor')).length;
    if (walksEveryOperation()) {
      expect(sent).toBeGreaterThan(1_000);
      // The list routes at least: users, invoices, subscriptions, and the two of security events.
      expect(listRoutes).toBeGreaterThanOrEqual(5);
    }
    expect(failures).toEqual([]);
    expect(cursorsSent).toBe(listRoutes * CRAFTED_CURSORS.length);
    expect(cursorFailures).toEqual([]);
  }, 180_000);

  /**
   * `null` in an optional body property is no way of leaving it out: it once got past validation
   * (`@IsOptional()` skips null) and reached the services, which wrote it or called string methods
   * on it (a 500). Each property the spec does not declare `nullable` gets null in a body whose
   * other properties are valid (password fields hold the caller's own password, so a
   * re-authentication passes and the null gets as far as it can), on an existing resource (path
   * parameters: another account's id). Each must be a 400 VALIDATION_FAILED on that property;
   * the Stripe webhook, which no validation pipe reads (its raw body is signed), must not answer 5xx.
   */
  it('refuses null in every optional body property with a 400 on that property', async () => {
    const spec = readSpec();
    const nullFailures: string[] = [];
    const nulled: string[] = [];
    for (const operation of walkedOperations(spec)) {
      const body = jsonBodySchema(spec, operation.operation);
      const properties = Object.entries(body?.properties ?? {});
      const required = new Set(body?.required ?? []);
      const optional = properties.filter(([name, schema]) => !required.has(name) && !resolve(spec, schema).nullable);
      for (const [name] of optional) {
        const caller = await createAccountWithRole(t.app, 'ADMIN');
        const other = await createAccountWithRole(t.app, 'USER');
        const valueOf = (key: string, schema: SchemaObject) =>
          resolve(spec, schema).format === 'password' ? caller.password : exampleOf(spec, schema, key);
        const payload = JSON.stringify(
          Object.fromEntries(properties.map(([key, schema]) => [key, key === name ? null : valueOf(key, schema)])),
        );
        const webhook = operation.path.endsWith('/webhooks/stripe');
        const res = await t.app.inject({
          method: operation.method,
          url: operation.path.replace(/\{[^}]+\}/g, other.id),
          headers: {
            ...caller.auth,
            'content-type': 'application/json',
            ...(webhook ? { 'stripe-signature': signature(payload) } : {}),
          },
          payload,
        });
        nulled.push(`${operation.name} ${name}`);
        const problem = (String(res.headers['content-type']).includes('json') ? res.json() : {}) as {
          code?: string;
          errors?: Array<{ field: string }>;
        };
        const onField = problem.errors?.some((error) => error.field === name) ?? false;
        const refused = res.statusCode === 400 && problem.code === 'VALIDATION_FAILED' && onField;
        if (webhook ? res.statusCode >= 500 : !refused) {
          nullFailures.push(`${operation.name} ${payload}: ${res.statusCode} ${res.body.slice(0, 200)}`);
        }
      }
    }

    // The account routes at least: PATCH /v1/users/me, PATCH /v1/users/{id}, POST /v1/auth/login.
    if (walksEveryOperation()) {
      expect(nulled).toEqual(
        expect.arrayContaining([
          'PATCH /v1/users/me name',
          'PATCH /v1/users/me email',
          'PATCH /v1/users/me currentPassword',
          'PATCH /v1/users/{id} role',
          'PATCH /v1/users/{id} status',
          'POST /v1/auth/login deviceToken',
        ]),
      );
    }
    expect(nullFailures).toEqual([]);
  }, 120_000);
});
