import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawn } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { validate } from '@readme/openapi-parser';
import {
  DIST_MAIN,
  STOPPED_BY_SIGTERM,
  assertBuilt,
  childEnv,
  freePort,
  startServer,
  type RunningServer,
} from './utils/built-app.js';

/** The compiled server, started exactly as `npm start` starts it, on embedded defaults. */
describe('the built server (e2e)', () => {
  let dataDir: string;

  beforeAll(async () => {
    assertBuilt();
    dataDir = await mkdtemp(path.join(os.tmpdir(), 'embedded-'));
  });

  afterAll(async () => {
    await rm(dataDir, { recursive: true, force: true });
  });

  describe('on embedded defaults, its data on disk', () => {
    let server: RunningServer;
    let port: number;

    beforeAll(async () => {
      port = await freePort();
      server = await startServer({ DATABASE_EMBEDDED_DIR: path.join(dataDir, 'pglite') }, port);
    }, 60_000);

    afterAll(() => {
      if (server.child.exitCode === null && server.child.signalCode === null) server.child.kill('SIGKILL');
    });

    /** The log lines written so far, parsed (a line still being written is left out). */
    const logLines = () =>
      server
        .output()
        .slice(0, server.output().lastIndexOf('\n'))
        .split('\n')
        .map((line) => JSON.parse(line) as Record<string, unknown>);

    it('serves health, the published spec and the docs UI', async () => {
      const ready = await fetch(`${server.baseUrl}/health/ready`);
      expect(ready.status).toBe(200);
      expect(await ready.json()).toMatchObject({
        status: 'ok',
        details: { database: { status: 'up' }, cache: { status: 'up', store: 'memory' } },
      });

      const spec = await (await fetch(`${server.baseUrl}/docs/openapi.json`)).json();
      const committed = JSON.parse(await readFile('openapi.json', 'utf8'));
      expect(spec).toEqual(committed);
      await expect(validate(structuredClone(spec) as never)).resolves.toMatchObject({ valid: true });

      const ui = await fetch(`${server.baseUrl}/docs`);
      expect(ui.status).toBe(200);
      expect(ui.headers.get('content-type')).toContain('text/html');
      expect(await ui.text()).toContain('swagger-ui');
    });

    it('boots with JSON logs: the migrations, the generated admin, the docs URL and one warning', () => {
      const logs = server.output();
      // NODE_ENV is unset here (as `npm start` runs it), with the development JWT secret: one warning.
      expect(logs.split('\n').filter((line) => line.includes('NODE_ENV is not set'))).toEqual([
        expect.stringMatching(/"level":40.*JWT_SECRET is the development default: anyone can forge access tokens/),
      ]);
      expect(logs).toContain('Applied migration');
      expect(logs).toMatch(/Created admin account admin@example.com with the generated password \S+/);
      expect(logs).toContain(`docs at http://localhost:${port}/docs`);
      // Structured JSON logs: every line parses.
      for (const line of logs.trim().split('\n')) expect(() => JSON.parse(line)).not.toThrow();
    });

    it('logs each request as JSON with its request id and without secrets', async () => {
      const res = await fetch(`${server.baseUrl}/v1/nothing-here?token=abc`, {
        headers: {
          'x-request-id': 'log-test-1',
          authorization: 'Bearer super-secret-token',
          cookie: 'sid=secret-cookie',
        },
      });
      expect(res.status).toBe(404);
      const registered = await fetch(`${server.baseUrl}/v1/auth/register`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'x-request-id': 'log-test-2' },
        body: JSON.stringify({ email: 'logged@example.com', password: 'Unusual-lantern-4417', name: 'Logged' }),
      });
      expect(registered.status).toBe(201);
      // A checkout link's token is a bearer credential: neither a matched route nor a mistyped one logs it.
      const linkToken = 'Xq7-logged-checkout-link-token-0123456789ab';
      const link = await fetch(`${server.baseUrl}/v1/billing/local-checkout/${linkToken}`, {
        headers: { 'x-request-id': 'log-test-3' },
      });
      expect(link.status).toBe(404);
      const mistyped = await fetch(`${server.baseUrl}/v1/billing/local-checkout/${linkToken}/`, {
        headers: { 'x-request-id': 'log-test-4' },
      });
      expect(mistyped.status).toBe(404);
      await new Promise((done) => setTimeout(done, 200));

      const lines = logLines();
      const requestLines = lines.filter((line) => JSON.stringify(line).includes('log-test-1'));
      expect(requestLines.length).toBeGreaterThan(0);
      const completed = requestLines.find((line) => line.msg === 'request completed');
      expect(completed).toMatchObject({
        requestId: 'log-test-1',
        method: 'GET',
        // Unmatched: no route pattern, and the raw path is never logged (it may carry a token).
        url: '(no route)',
        statusCode: 404,
        level: 40,
      });
      // A line logged deep inside the request (the verification mail, by the log transport) has the id too.
      const inner = lines.filter((line) => line.requestId === 'log-test-2' && line.msg !== 'request completed');
      expect(inner.length).toBeGreaterThan(0);
      const all = server.output();
      expect(all).not.toContain('Unusual-lantern-4417');
      expect(all).not.toContain('super-secret-token');
      expect(all).not.toContain('secret-cookie');
      expect(all).not.toContain('token=abc');
      expect(all).not.toContain(linkToken);
      const completedOf = (requestId: string) =>
        lines.find((line) => line.requestId === requestId && line.msg === 'request completed');
      expect(completedOf('log-test-3')).toMatchObject({ url: '/v1/billing/local-checkout/:token', statusCode: 404 });
      expect(completedOf('log-test-4')).toMatchObject({ url: '(no route)', statusCode: 404 });
    });

    it('stops cleanly on SIGTERM and restarts on its data: no re-migration, no new admin; NODE_ENV=development warns of nothing', async () => {
      server.child.kill('SIGTERM');
      await expect(server.exited).resolves.toEqual(STOPPED_BY_SIGTERM);
      expect(server.stderr()).toBe('');

      const again = await startServer(
        { DATABASE_EMBEDDED_DIR: path.join(dataDir, 'pglite'), NODE_ENV: 'development' },
        port,
      );
      server = again;
      expect((await fetch(`${again.baseUrl}/health/ready`)).status).toBe(200);
      expect(again.output()).not.toContain('Applied migration');
      expect(again.output()).not.toContain('Created admin account');
      expect(again.output()).not.toContain('"level":40');

      again.child.kill('SIGTERM');
      await expect(again.exited).resolves.toEqual(STOPPED_BY_SIGTERM);
    }, 60_000);
  });

  it('in pretty mode ends its boot with a banner: URLs, database, cache and, once, the generated admin password', async () => {
    const port = await freePort();
    const dir = path.join(dataDir, 'pretty');
    const server = await startServer({ DATABASE_EMBEDDED_DIR: dir, LOG_FORMAT: 'pretty' }, port);
    const deadline = Date.now() + 5_000;
    while (!server.output().includes('generated, shown once') && Date.now() < deadline) {
      await new Promise((done) => setTimeout(done, 20));
    }

    const output = server.output();
    expect(output).toContain(`  API       http://localhost:${port}\n`);
    expect(output).toContain(`  Docs      http://localhost:${port}/docs\n`);
    expect(output).toContain(`  Database  embedded PGlite in ${dir}\n`);
    expect(output).toContain('  Cache     in-memory (this process only)\n');
    const password = /^ {2}Admin {5}admin@example\.com \/ (\S+)$/m.exec(output)?.[1];
    expect(password).toBeDefined();
    // Shown once, in the banner alone; the lines before it are pino-pretty's, not JSON.
    expect(output.split(password!)).toHaveLength(2);
    expect(output).toContain('Created admin account admin@example.com with a generated password (shown once, below)');
    expect(output).toMatch(/^\[[\d:.]+\] INFO: \[Bootstrap\] API listening on /m);
    expect(output).not.toContain('{"level"');
    // It is the real password.
    const login = await fetch(`${server.baseUrl}/v1/auth/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ email: 'admin@example.com', password }),
    });
    expect(login.status).toBe(200);

    server.child.kill('SIGTERM');
    await expect(server.exited).resolves.toEqual(STOPPED_BY_SIGTERM);
    expect(server.stderr()).toBe('');

    // The next boot created nobody: its banner shows no admin.
    const again = await startServer({ DATABASE_EMBEDDED_DIR: dir, LOG_FORMAT: 'pretty' }, port);
    const until = Date.now() + 5_000;
    while (!again.output().includes('  Cache     ') && Date.now() < until) {
      await new Promise((done) => setTimeout(done, 20));
    }
    expect(again.output()).toContain('  Cache     in-memory (this process only)\n');
    expect(again.output()).not.toContain('  Admin     ');
    again.child.kill('SIGTERM');
    await expect(again.exited).resolves.toEqual(STOPPED_BY_SIGTERM);
  }, 60_000);

  it('refuses to start with an invalid environment, listing every problem in one message', async () => {
    const child = spawn(process.execPath, [DIST_MAIN], {
      env: childEnv({ NODE_ENV: 'production', PORT: 'eighty', REDIS_URL: 'http://cache' }),
    });
    let stderr = '';
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    const code = await new Promise<number | null>((done) => child.on('exit', done));

    expect(code).toBe(1);
    expect(stderr).not.toMatch(/\n\s+at /); // no stack trace
    expect(stderr.trim()).toBe(
      [
        'Invalid configuration (4 problems):',
        '  - PORT: must be a number',
        '  - REDIS_URL: must be a redis:// or rediss:// URL',
        '  - JWT_SECRET: must be set in production (the development default is refused)',
        '  - DATABASE_URL: must be set in production (the embedded database is for development)',
      ].join('\n'),
    );
  }, 30_000);

  it('fails fast when the configured database is unreachable', async () => {
    const child = spawn(process.execPath, [DIST_MAIN], {
      env: childEnv({
        DATABASE_URL: 'postgres://nobody@127.0.0.1:1/none',
        PORT: String(await freePort()),
        LOG_LEVEL: 'error',
      }),
    });
    const code = await new Promise<number | null>((done) => child.on('exit', done));

    expect(code).not.toBe(0);
  }, 30_000);
});
