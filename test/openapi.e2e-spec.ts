import { describe, expect, it } from 'vitest';
import { readFile } from 'node:fs/promises';
import { validate } from '@readme/openapi-parser';
import { OPENAPI_WRITER, assertBuilt, execFileAsync } from './utils/built-app.js';
import { readSpec, specOperations } from './utils/openapi-spec.js';

describe('openapi.json', () => {
  it('is up to date with the code (run `npm run openapi` and commit the result if this fails)', async () => {
    assertBuilt();
    const { stdout } = await execFileAsync(process.execPath, [OPENAPI_WRITER, '--stdout'], {
      maxBuffer: 32 * 1024 * 1024,
    });

    expect(stdout).toBe(await readFile('openapi.json', 'utf8'));
  });

  it('is a valid OpenAPI 3 document', async () => {
    const spec = readSpec();

    await expect(validate(spec as never)).resolves.toMatchObject({ valid: true });
    expect((spec as unknown as { openapi: string }).openapi).toMatch(/^3\./);
  });

  const operations = specOperations().map((op) => [op.name, op.operation] as const);

  it('has operations, each with its own operationId', () => {
    const ids = operations.map(([, operation]) => operation.operationId);

    expect(operations.length).toBeGreaterThan(0);
    expect(new Set(ids).size).toBe(ids.length);
  });

  it.each(operations)('%s is tagged and has a readable operationId', (name, op) => {
    expect({ name, tagged: (op.tags ?? []).length > 0 }).toEqual({ name, tagged: true });
    expect({ name, operationId: op.operationId }).toEqual({
      name,
      operationId: expect.stringMatching(/^[a-z][A-Za-z0-9]+$/),
    });
  });

  it.each(operations)(
    '%s documents every error response as application/problem+json, a 500 included (health probes excepted: they answer in the Terminus format)',
    (name, op) => {
      for (const [status, response] of Object.entries(op.responses)) {
        if (Number(status) < 400 || name.startsWith('GET /health/')) continue;
        expect({ name, status, schema: response.content?.['application/problem+json']?.schema }).toEqual({
          name,
          status,
          schema: { $ref: '#/components/schemas/ProblemDetailsDto' },
        });
      }
      expect({ name, has500: '500' in op.responses }).toEqual({ name, has500: true });
    },
  );

  it('declares bearer authentication, and API keys in X-API-Key', async () => {
    const spec = JSON.parse(await readFile('openapi.json', 'utf8'));

    expect(spec.components.securitySchemes).toEqual({
      bearer: { type: 'http', scheme: 'bearer', bearerFormat: 'JWT', description: expect.stringContaining('RFC8725') },
      apiKey: { type: 'apiKey', in: 'header', name: 'X-API-Key', description: expect.stringContaining('Bearer') },
      stripeSignature: { type: 'apiKey', in: 'header', name: 'Stripe-Signature', description: expect.any(String) },
    });
  });

  // OWASP ASVS 5.0 V8 Authorization: keys are accepted exactly where a scope is declared, read-only routes.
  it('lists the apiKey scheme on exactly the read routes that accept API keys, with their 401 and 403', async () => {
    const spec = JSON.parse(await readFile('openapi.json', 'utf8')) as {
      paths: Record<string, Record<string, { security?: Array<Record<string, unknown>>; responses: object }>>;
    };
    const accepting = Object.entries(spec.paths).flatMap(([path, item]) =>
      Object.entries(item)
        .filter(([, op]) => op.security?.some((requirement) => 'apiKey' in requirement))
        .map(([method, op]) => ({ name: `${method.toUpperCase()} ${path}`, op })),
    );
    expect(accepting.map((entry) => entry.name).sort()).toEqual([
      'GET /v1/billing/entitlements',
      'GET /v1/billing/invoices',
      'GET /v1/billing/subscription',
      'GET /v1/security-events',
      'GET /v1/users',
      'GET /v1/users/me',
      'GET /v1/users/me/security-events',
      'GET /v1/users/{id}',
    ]);
    for (const { op } of accepting) expect(Object.keys(op.responses)).toEqual(expect.arrayContaining(['401', '403']));
  });
});
