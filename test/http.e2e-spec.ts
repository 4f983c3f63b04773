import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import net, { type AddressInfo } from 'node:net';
import { Body, Controller, Get, Logger, Post } from '@nestjs/common';
import { IsEmail, IsInt, IsString, Max, MinLength } from 'class-validator';
import { DomainError } from '@app/common';
import { CORS_METHODS, CORS_REQUEST_HEADERS } from '../apps/api/src/core/configure-app.js';
import { Public } from '../apps/api/src/iam/decorators/public.decorator.js';
import { specOperations } from './utils/openapi-spec.js';
import { createTestApp, type TestApp } from './utils/test-app.js';

class EchoDto {
  @IsEmail()
  email: string;

  @IsString()
  @MinLength(3)
  name: string;

  @IsInt()
  @Max(10)
  count: number;
}

/** Test-only routes: they make every kind of failure reachable through the real pipeline. */
@Public()
@Controller('test-errors')
class ErrorsController {
  @Post('echo')
  echo(@Body() body: EchoDto) {
    return { received: body, isDto: body instanceof EchoDto };
  }

  @Get('crash')
  crash(): never {
    throw new Error('database password is hunter2');
  }

  @Get('crash/:token')
  crashWithToken(): never {
    throw new Error('failed deep inside');
  }

  @Get('conflict')
  conflict(): never {
    throw new DomainError('conflict', 'THING_ALREADY_EXISTS', 'That thing already exists.');
  }
}

const PROBLEM_KEYS = ['code', 'detail', 'instance', 'requestId', 'status', 'title', 'type'];

describe('HTTP pipeline (e2e)', () => {
  let t: TestApp;

  beforeAll(async () => {
    t = await createTestApp({ extra: { controllers: [ErrorsController] }, env: { HTTP_BODY_LIMIT: '2048' } });
  });

  afterAll(async () => {
    await t.close();
  });

  describe('request id', () => {
    it('generates one when the caller sends none and returns it', async () => {
      const res = await t.app.inject({ method: 'GET', url: '/health/live' });

      expect(res.statusCode).toBe(200);
      expect(res.headers['x-request-id']).toMatch(/^[0-9a-f-]{36}$/);
    });

    it('propagates a well-formed caller id, into error bodies too', async () => {
      const res = await t.app.inject({ method: 'GET', url: '/v1/nope', headers: { 'x-request-id': 'trace-abc.123' } });

      expect(res.headers['x-request-id']).toBe('trace-abc.123');
      expect(res.json().requestId).toBe('trace-abc.123');
    });

    it('replaces a malformed or oversized caller id', async () => {
      for (const bad of ['has spaces', 'x'.repeat(129), 'inject\nline']) {
        const res = await t.app.inject({ method: 'GET', url: '/health/live', headers: { 'x-request-id': bad } });
        expect(res.headers['x-request-id']).toMatch(/^[0-9a-f-]{36}$/);
      }
    });
  });

  describe('problem+json errors', () => {
    it('answers an unknown route with a 404 problem', async () => {
      const res = await t.app.inject({ method: 'GET', url: '/v1/does-not-exist?token=secret' });

      expect(res.statusCode).toBe(404);
      expect(res.body).not.toContain('secret');
      expect(res.headers['content-type']).toBe('application/problem+json; charset=utf-8');
      expect(res.json()).toEqual({
        type: 'urn:problem-type:not-found',
        title: 'Not Found',
        status: 404,
        detail: 'Cannot GET /v1/does-not-exist',
        instance: '/v1/does-not-exist',
        code: 'NOT_FOUND',
        requestId: res.headers['x-request-id'],
      });
    });

    it.each([
      ['a path that is not valid percent-encoding', '/v1/users/%FF%FE', 400, 'BAD_REQUEST'],
      ['a path parameter over the length limit', `/v1/users/${'x'.repeat(101)}`, 414, 'URI_TOO_LONG'],
    ])(
      "answers %s (refused by Fastify's router, before Nest) with a problem too",
      async (_label, url, status, code) => {
        const res = await t.app.inject({ method: 'GET', url, headers: { 'x-request-id': 'router-error-1' } });

        expect(res.statusCode).toBe(status);
        expect(res.headers['content-type']).toBe('application/problem+json; charset=utf-8');
        expect(res.headers['x-request-id']).toBe('router-error-1');
        expect(res.headers['x-content-type-options']).toBe('nosniff');
        expect(res.json()).toMatchObject({ status, code, instance: url, requestId: 'router-error-1' });
      },
    );

    it('lists every invalid field of a body in a 400 problem', async () => {
      const res = await t.app.inject({
        method: 'POST',
        url: '/v1/test-errors/echo',
        payload: { email: 'nope', name: 'x', count: 11 },
      });

      expect(res.statusCode).toBe(400);
      expect(res.json()).toEqual({
        type: 'urn:problem-type:validation-failed',
        title: 'Bad Request',
        status: 400,
        detail: 'The request is invalid.',
        instance: '/v1/test-errors/echo',
        code: 'VALIDATION_FAILED',
        requestId: res.headers['x-request-id'],
        errors: [
          { field: 'email', message: 'email must be an email' },
          { field: 'name', message: 'name must be longer than or equal to 3 characters' },
          { field: 'count', message: 'count must not be greater than 10' },
        ],
      });
    });

    it('rejects unknown fields (mass assignment) with a 400', async () => {
      const res = await t.app.inject({
        method: 'POST',
        url: '/v1/test-errors/echo',
        payload: { email: 'a@b.co', name: 'abc', count: 1, role: 'ADMIN' },
      });

      expect(res.statusCode).toBe(400);
      expect(res.json().errors).toEqual([{ field: 'role', message: 'property role should not exist' }]);
    });

    it('turns a valid body into the DTO class', async () => {
      const res = await t.app.inject({
        method: 'POST',
        url: '/v1/test-errors/echo',
        payload: { email: 'a@b.co', name: 'abc', count: 1 },
      });

      expect(res.statusCode).toBe(201);
      expect(res.json()).toEqual({ received: { email: 'a@b.co', name: 'abc', count: 1 }, isDto: true });
    });

    it.each([
      ['malformed JSON', '{"email":', 'application/json', 400, 'BAD_REQUEST'],
      ['an empty JSON body', '', 'application/json', 400, 'BAD_REQUEST'],
      ['an unsupported content type', 'a=b', 'text/csv', 415, 'UNSUPPORTED_MEDIA_TYPE'],
      [
        'a body over the limit',
        JSON.stringify({ email: 'x'.repeat(4096) }),
        'application/json',
        413,
        'PAYLOAD_TOO_LARGE',
      ],
    ])('answers %s with a problem+json 4xx, never a 500', async (_label, payload, contentType, status, code) => {
      const res = await t.app.inject({
        method: 'POST',
        url: '/v1/test-errors/echo',
        payload,
        headers: { 'content-type': contentType },
      });

      expect(res.statusCode).toBe(status);
      expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
      expect(Object.keys(res.json()).sort()).toEqual(PROBLEM_KEYS);
      expect(res.json()).toMatchObject({ status, code, requestId: res.headers['x-request-id'] });
    });

    it('maps a domain error by its kind and keeps its code', async () => {
      const res = await t.app.inject({ method: 'GET', url: '/v1/test-errors/conflict' });

      expect(res.statusCode).toBe(409);
      expect(res.json()).toMatchObject({ code: 'THING_ALREADY_EXISTS', detail: 'That thing already exists.' });
    });

    it('answers an unexpected error with a 500 that reveals nothing', async () => {
      const res = await t.app.inject({ method: 'GET', url: '/v1/test-errors/crash' });

      expect(res.statusCode).toBe(500);
      expect(res.json()).toEqual({
        type: 'urn:problem-type:internal-error',
        title: 'Internal Server Error',
        status: 500,
        detail: 'An unexpected error occurred.',
        instance: '/v1/test-errors/crash',
        code: 'INTERNAL_ERROR',
        requestId: res.headers['x-request-id'],
      });
      expect(res.body).not.toMatch(/hunter2|stack|at \w+ \(/);
    });

    it('logs a 500 with its route pattern, never the path, which may carry a bearer token', async () => {
      const logged = vi.spyOn(Logger.prototype, 'error').mockImplementation(() => undefined);
      try {
        const res = await t.app.inject({ method: 'GET', url: '/v1/test-errors/crash/secret-link-token-123' });

        expect(res.statusCode).toBe(500);
        expect(logged.mock.calls).toEqual([
          [expect.objectContaining({ url: '/v1/test-errors/crash/:token', method: 'GET' }), 'Unhandled error'],
        ]);
        expect(JSON.stringify(logged.mock.calls)).not.toContain('secret-link-token-123');
      } finally {
        logged.mockRestore();
      }
    });
  });

  describe('hardening', () => {
    it('sends security headers', async () => {
      const res = await t.app.inject({ method: 'GET', url: '/health/live' });

      expect(res.headers).toMatchObject({
        'x-content-type-options': 'nosniff',
        'x-frame-options': 'SAMEORIGIN',
        'strict-transport-security': expect.stringContaining('max-age='),
      });
      expect(res.headers['content-security-policy']).toContain("default-src 'self'");
      expect(res.headers['x-powered-by']).toBeUndefined();
    });

    it('allows no cross-origin caller by default', async () => {
      const res = await t.app.inject({
        method: 'OPTIONS',
        url: '/v1/test-errors/echo',
        headers: { origin: 'https://evil.example', 'access-control-request-method': 'POST' },
      });

      expect(res.headers['access-control-allow-origin']).toBeUndefined();
    });
  });

  describe('requests Node refuses before any route', () => {
    /** The raw answer to `request`, sent on a socket of its own to the listening app. */
    async function rawExchange(
      request: string,
    ): Promise<{ status: number; headers: Record<string, string>; body: string }> {
      const { port } = t.app.getHttpServer().address() as AddressInfo;
      const raw = await new Promise<string>((resolve, reject) => {
        const socket = net.connect(port, '127.0.0.1', () => socket.end(request));
        let received = '';
        socket.on('data', (chunk: Buffer) => (received += chunk.toString('latin1')));
        socket.on('close', () => resolve(received));
        socket.on('error', reject);
        socket.setTimeout(5_000, () => socket.destroy(new Error('no answer in 5 s')));
      });
      const [head = '', body = ''] = raw.split('\r\n\r\n');
      const [statusLine = '', ...lines] = head.split('\r\n');
      const headers = Object.fromEntries(
        lines.map((line) => [line.slice(0, line.indexOf(':')).toLowerCase(), line.slice(line.indexOf(':') + 1).trim()]),
      );
      return { status: Number(statusLine.split(' ')[1]), headers, body };
    }

    beforeAll(async () => {
      await t.app.listen({ port: 0, host: '127.0.0.1' });
    });

    it.each([
      [
        'a control character in a header',
        'GET /health/live HTTP/1.1\r\nHost: x\r\nX-Request-Id: abc\x01def\r\n\r\n',
        400,
      ],
      ['a malformed request line', 'GET /health live HTTP/1.1\r\nHost: x\r\n\r\n', 400],
      [
        'headers over the size limit',
        `GET /health/live HTTP/1.1\r\nHost: x\r\nX-Big: ${'a'.repeat(20_000)}\r\n\r\n`,
        431,
      ],
    ])('answers %s with problem+json and closes the connection', async (_label, request, status) => {
      const res = await rawExchange(request);

      expect(res.status).toBe(status);
      expect(res.headers).toMatchObject({
        'content-type': 'application/problem+json; charset=utf-8',
        connection: 'close',
        'x-content-type-options': 'nosniff',
      });
      expect(JSON.parse(res.body)).toEqual({
        type: expect.stringMatching(/^urn:problem-type:/),
        title: expect.any(String),
        status,
        detail: status === 431 ? expect.any(String) : 'The request could not be parsed.',
        instance: '/',
        code: expect.any(String),
        requestId: res.headers['x-request-id'],
      });
    });
  });
});

describe('CORS (e2e)', () => {
  let t: TestApp;

  beforeAll(async () => {
    t = await createTestApp({ env: { CORS_ORIGINS: 'https://app.example' } });
  });

  afterAll(async () => {
    await t.close();
  });

  it('allows the configured origins only', async () => {
    const allowed = await t.app.inject({
      method: 'OPTIONS',
      url: '/health/live',
      headers: { origin: 'https://app.example', 'access-control-request-method': 'GET' },
    });
    const denied = await t.app.inject({
      method: 'OPTIONS',
      url: '/health/live',
      headers: { origin: 'https://evil.example', 'access-control-request-method': 'GET' },
    });

    expect(allowed.headers['access-control-allow-origin']).toBe('https://app.example');
    expect(allowed.headers['access-control-expose-headers']).toContain('x-request-id');
    expect(denied.headers['access-control-allow-origin']).toBeUndefined();
  });

  const preflight = (origin: string, method: string, url: string) =>
    t.app.inject({
      method: 'OPTIONS',
      url,
      headers: {
        origin,
        'access-control-request-method': method,
        'access-control-request-headers': 'authorization, content-type, idempotency-key, x-request-id',
      },
    });
  const listed = (value: unknown) =>
    String(value ?? '')
      .split(',')
      .map((item) => item.trim().toLowerCase())
      .filter(Boolean);

  it.each([
    ['PATCH', '/v1/users/me'],
    ['DELETE', '/v1/auth/sessions/00000000-0000-4000-8000-000000000000'],
    ['POST', '/v1/billing/checkout'],
  ])('lets a configured origin %s %s, sending the headers the API reads', async (method, url) => {
    const res = await preflight('https://app.example', method, url);

    expect(res.statusCode).toBe(204);
    expect(res.headers['access-control-allow-origin']).toBe('https://app.example');
    expect(listed(res.headers['access-control-allow-methods'])).toContain(method.toLowerCase());
    expect(listed(res.headers['access-control-allow-headers'])).toEqual(
      expect.arrayContaining(['authorization', 'content-type', 'idempotency-key', 'x-request-id']),
    );
  });

  it.each([
    ['PATCH', '/v1/users/me'],
    ['DELETE', '/v1/auth/sessions/00000000-0000-4000-8000-000000000000'],
  ])('gives an unconfigured origin nothing to %s %s with', async (method, url) => {
    const res = await preflight('https://evil.example', method, url);

    // Without Access-Control-Allow-Origin naming it, the browser refuses the request.
    expect(res.headers['access-control-allow-origin']).toBeUndefined();
  });

  it('allows every method that openapi.json declares, and only the request headers the API reads', () => {
    const declared = new Set(specOperations().map((op) => op.method));

    expect([...declared].filter((method) => !(CORS_METHODS as readonly string[]).includes(method))).toEqual([]);
    expect(CORS_REQUEST_HEADERS.map((header) => header.toLowerCase()).sort()).toEqual([
      'authorization',
      'content-type',
      'idempotency-key',
      'if-none-match',
      'x-request-id',
    ]);
  });
});
