// `npm run bench`: throughput, cold start and memory of the built API next to a bare Fastify server
// and a bare Nest app on the same machine, in one run.
// See tools/bench/README.md for what it measures, the knobs (BENCH_* variables) and how to read it.
import { execFile, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import autocannon from 'autocannon';
import pg from 'pg';
import { createClient } from '@redis/client';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const API_MAIN = path.join(ROOT, 'dist/api/main.mjs');
const MIGRATE = path.join(ROOT, 'dist/apps/api/libs/database/src/cli/migrate.js');
const BARE_SERVER = path.join(ROOT, 'tools/bench/fastify-hello.mjs');
const NEST_SERVER = path.join(ROOT, 'tools/bench/nest-hello.mjs');
const SAME_WORK_SERVER = path.join(ROOT, 'tools/bench/fastify-same-work.mjs');
/** The API's own password hashing (argon2id and its parameters), compiled by `nest build`. */
const PASSWORD_HASHER = path.join(ROOT, 'dist/apps/api/libs/common/src/security/password-hasher.js');
/** Sign-ins run concurrently: each one is an argon2id verification on libuv's thread pool. */
const LOGIN_CONNECTIONS = 10;
const RESULTS_FILE = path.join(ROOT, 'tools/bench/results/latest.json');
const BENCH_DATABASE = 'nest_starter_bench';
const CACHE_KEY_PREFIX = 'bench';
const TARGET_RATIO = 0.5;
const READY_TIMEOUT_MS = 30_000;
/** The API route that runs the request pipeline only: no auth, no rate limit, no Redis, no database. */
const PIPELINE_PATH = '/health/live';
/** How long a freshly started server is left alone before its idle memory is read. */
const SETTLE_MS = 2_000;

class BenchError extends Error {}

function intFromEnv(name, fallback, min) {
  const raw = process.env[name];
  if (raw === undefined || raw === '') return fallback;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < min)
    throw new BenchError(`${name} must be an integer >= ${min}, got ${JSON.stringify(raw)}`);
  return value;
}

/**
 * The C library's allocator settings the production image runs with (the Dockerfile's `ENV
 * MALLOC_...` lines), so the benchmark measures the memory a deployment sees.
 */
async function productionRuntimeEnv() {
  const dockerfile = await readFile(path.join(ROOT, 'Dockerfile'), 'utf8');
  return Object.fromEntries(
    [...dockerfile.matchAll(/^ENV (MALLOC_\w+)=(\S+)$/gm)].map((match) => [match[1], match[2]]),
  );
}

function readSettings() {
  const logLevel = process.env.BENCH_LOG_LEVEL || 'warn';
  const benchPath = process.env.BENCH_PATH || '/v1/users/me';
  if (!benchPath.startsWith('/'))
    throw new BenchError(`BENCH_PATH must start with /, got ${JSON.stringify(benchPath)}`);
  return {
    connections: intFromEnv('BENCH_CONNECTIONS', 50, 1),
    durationSeconds: intFromEnv('BENCH_DURATION', 10, 1),
    warmupSeconds: intFromEnv('BENCH_WARMUP', 2, 0),
    coldStarts: intFromEnv('BENCH_COLD_STARTS', 5, 0),
    path: benchPath,
    auth: process.env.BENCH_AUTH !== '0',
    logLevel,
    enforce: process.env.BENCH_ENFORCE === '1',
    // `none`: no REDIS_URL at all, so the API runs on its in-process cache and rate-limit counters.
    redisUrl:
      process.env.BENCH_REDIS_URL === 'none' ? undefined : process.env.BENCH_REDIS_URL || 'redis://127.0.0.1:6379',
    databaseUrl: process.env.BENCH_DATABASE_URL || undefined,
    postgresUrl: process.env.BENCH_POSTGRES_URL || 'postgres://postgres@127.0.0.1:5432/postgres',
  };
}

// ---- cleanup: runs once, on success, failure and Ctrl-C alike ---------------------------------

const cleanups = [];
let cleaning;
let interrupted = false;
let runningCannon;

function onCleanup(fn) {
  cleanups.push(fn);
}

function cleanup() {
  cleaning ??= (async () => {
    runningCannon?.stop();
    for (const fn of cleanups.reverse()) {
      try {
        await fn();
      } catch (error) {
        console.error(`cleanup: ${error instanceof Error ? error.message : error}`);
      }
    }
  })();
  return cleaning;
}

for (const signal of ['SIGINT', 'SIGTERM']) {
  process.once(signal, () => {
    interrupted = true;
    console.error(`\n${signal}: stopping the servers and cleaning up...`);
    void cleanup().finally(() => process.exit(130));
  });
}

// ---- processes -------------------------------------------------------------------------------

async function freePort() {
  const server = net.createServer();
  await new Promise((resolve, reject) => server.once('error', reject).listen(0, '127.0.0.1', resolve));
  const { port } = server.address();
  await new Promise((resolve) => server.close(resolve));
  return port;
}

/**
 * A child process whose output goes to ours, prefixed (unless `quiet`); the last lines are kept for
 * errors either way.
 */
function startChild(name, args, env, { quiet = false } = {}) {
  const child = spawn(process.execPath, args, { cwd: ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] });
  const tail = [];
  for (const stream of [child.stdout, child.stderr]) {
    let partial = '';
    stream.setEncoding('utf8');
    stream.on('data', (chunk) => {
      const lines = (partial + chunk).split('\n');
      partial = lines.pop() ?? '';
      for (const line of lines) {
        if (!quiet) process.stderr.write(`[${name}] ${line}\n`);
        tail.push(line);
        if (tail.length > 30) tail.shift();
      }
    });
  }
  const exited = new Promise((resolve) => child.once('exit', (code, signal) => resolve({ code, signal })));
  return { name, child, exited, tail };
}

async function stopChild({ child, exited }) {
  if (child.exitCode !== null || child.signalCode !== null) return;
  child.kill('SIGTERM');
  const stopped = await Promise.race([exited.then(() => true), sleep(10_000).then(() => false)]);
  if (!stopped) {
    child.kill('SIGKILL');
    await exited;
  }
}

async function runToCompletion(name, args, env) {
  const proc = startChild(name, args, env);
  const { code, signal } = await proc.exited;
  if (code !== 0) throw new BenchError(`${name} failed (${signal ?? `exit code ${code}`})`);
}

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms).unref());

/** Polls `url` (every `intervalMs`) until it answers 200, failing early if the process dies. */
async function waitUntilReady(proc, url, intervalMs = 100) {
  const deadline = Date.now() + READY_TIMEOUT_MS;
  let exit;
  void proc.exited.then((value) => (exit = value));
  let lastProblem = 'no answer';
  while (Date.now() < deadline) {
    if (exit) {
      throw new BenchError(
        `${proc.name} exited before it was ready (${exit.signal ?? `exit code ${exit.code}`}):\n${proc.tail.join('\n')}`,
      );
    }
    try {
      const response = await fetch(url, { signal: AbortSignal.timeout(2_000) });
      await response.arrayBuffer();
      if (response.status === 200) return;
      lastProblem = `HTTP ${response.status}`;
    } catch (error) {
      lastProblem = error instanceof Error ? error.message : String(error);
    }
    await sleep(intervalMs);
  }
  throw new BenchError(`${proc.name} was not ready at ${url} within ${READY_TIMEOUT_MS / 1000} s (${lastProblem})`);
}

/** Resident set size of a process, in MiB: /proc on Linux, `ps` elsewhere. */
async function residentMiB(pid) {
  try {
    const status = await readFile(`/proc/${pid}/status`, 'utf8');
    const kib = /^VmRSS:\s+(\d+)\s+kB$/m.exec(status)?.[1];
    if (kib) return Number(kib) / 1024;
  } catch {
    // not Linux: ask ps
  }
  const stdout = await new Promise((resolve, reject) =>
    execFile('ps', ['-o', 'rss=', '-p', String(pid)], (error, out) => (error ? reject(error) : resolve(out))),
  );
  return Number(stdout.trim()) / 1024;
}

const median = (values) => {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2;
};

/**
 * One cold start: from spawning `node <script>` to the first 200 of `readyPath` (polled every 5 ms),
 * then the process is stopped. Node's own start-up is included; npm's is not (`npm run start:prod`
 * only runs `node dist/api/main.mjs`).
 */
async function coldStart(name, script, env, readyPath) {
  const port = await freePort();
  const started = performance.now();
  const proc = startChild(
    name,
    [script],
    { ...env, PORT: String(port), PUBLIC_URL: `http://127.0.0.1:${port}` },
    {
      quiet: true,
    },
  );
  try {
    await waitUntilReady(proc, `http://127.0.0.1:${port}${readyPath}`, 5);
    return performance.now() - started;
  } finally {
    await stopChild(proc);
  }
}

/** `runs` cold starts of each target, alternating, so that a busy moment of the machine hits both. */
async function measureColdStarts(targets, runs) {
  const samples = Object.fromEntries(targets.map((target) => [target.key, []]));
  for (let run = 1; run <= runs; run++) {
    for (const target of targets) {
      if (interrupted) throw new BenchError('interrupted');
      console.error(`cold start ${run}/${runs}: ${target.label}...`);
      samples[target.key].push(await coldStart(target.key, target.script, target.env, target.readyPath));
    }
  }
  return Object.fromEntries(
    targets.map((target) => [
      target.key,
      { label: target.label, medianMs: median(samples[target.key]), samplesMs: samples[target.key] },
    ]),
  );
}

// ---- database and Redis --------------------------------------------------------------------------

function quoteIdent(name) {
  return `"${name.replaceAll('"', '""')}"`;
}

async function withPostgres(url, fn) {
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 5_000 });
  try {
    await client.connect();
  } catch (error) {
    throw new BenchError(
      `cannot reach PostgreSQL at ${url} (${error.message}); set BENCH_POSTGRES_URL or BENCH_DATABASE_URL`,
    );
  }
  try {
    return await fn(client);
  } finally {
    await client.end().catch(() => undefined);
  }
}

/** Creates the bench database afresh on the server of `postgresUrl`; returns its URL. */
async function createBenchDatabase(postgresUrl) {
  const drop = () =>
    withPostgres(postgresUrl, (client) =>
      client.query(`DROP DATABASE IF EXISTS ${quoteIdent(BENCH_DATABASE)} WITH (FORCE)`),
    );
  await drop();
  onCleanup(drop);
  await withPostgres(postgresUrl, (client) => client.query(`CREATE DATABASE ${quoteIdent(BENCH_DATABASE)}`));
  const url = new URL(postgresUrl);
  url.pathname = `/${BENCH_DATABASE}`;
  return url.toString();
}

/** Deletes the keys the API wrote under the bench prefix (cache entries, rate limit counters). */
async function clearBenchKeys(redisUrl) {
  if (redisUrl === undefined) return;
  const client = createClient({ url: redisUrl, socket: { connectTimeout: 2_000, reconnectStrategy: false } });
  client.on('error', () => undefined);
  try {
    await client.connect();
  } catch {
    return; // no Redis: nothing to clear (the API then runs on its in-memory fallbacks)
  }
  try {
    for await (const keys of client.scanIterator({ MATCH: `${CACHE_KEY_PREFIX}:*`, COUNT: 1_000 }))
      if (keys.length > 0) await client.unlink(keys);
  } finally {
    await client.close().catch(() => undefined);
  }
}

// ---- HTTP ----------------------------------------------------------------------------------------

async function request(method, url, { body, headers = {} } = {}) {
  const response = await fetch(url, {
    method,
    headers: { ...(body === undefined ? {} : { 'content-type': 'application/json' }), ...headers },
    body: body === undefined ? undefined : JSON.stringify(body),
    signal: AbortSignal.timeout(10_000),
  });
  const text = await response.text();
  return { status: response.status, text };
}

/** Registers a user and signs in: its credentials and an access token. */
async function obtainAccessToken(baseUrl) {
  const email = `bench-${randomBytes(6).toString('hex')}@example.com`;
  const password = randomBytes(24).toString('base64url');
  const registered = await request('POST', `${baseUrl}/v1/auth/register`, {
    body: { email, password, name: 'Bench User' },
  });
  if (registered.status < 200 || registered.status >= 300) {
    throw new BenchError(`POST /v1/auth/register answered ${registered.status}: ${registered.text.slice(0, 500)}`);
  }
  const loggedIn = await request('POST', `${baseUrl}/v1/auth/login`, { body: { email, password } });
  if (loggedIn.status < 200 || loggedIn.status >= 300) {
    throw new BenchError(`POST /v1/auth/login answered ${loggedIn.status}: ${loggedIn.text.slice(0, 500)}`);
  }
  const { accessToken } = JSON.parse(loggedIn.text);
  if (typeof accessToken !== 'string' || accessToken === '')
    throw new BenchError('POST /v1/auth/login returned no accessToken');
  return { email, password, accessToken };
}

function cannon(url, headers, connections, durationSeconds, { method = 'GET', body } = {}) {
  return new Promise((resolve, reject) => {
    if (interrupted) {
      reject(new BenchError('interrupted'));
      return;
    }
    const options = { url, headers, connections, duration: durationSeconds, method, body };
    runningCannon = autocannon(options, (error, result) => {
      runningCannon = undefined;
      if (error) reject(error);
      else if (interrupted) reject(new BenchError('interrupted'));
      else resolve(result);
    });
  });
}

/**
 * A discarded warm-up run, then the measured one, with the same settings. `post` sends that JSON
 * body with POST instead of a GET; `connections` overrides the settings' count.
 */
async function measure(label, url, headers, settings, { post, connections = settings.connections } = {}) {
  const method = post === undefined ? 'GET' : 'POST';
  const check = await request(method, url, { headers, body: post });
  if (check.status < 200 || check.status >= 300) {
    throw new BenchError(
      `${label}: ${method} ${new URL(url).pathname} answered ${check.status}: ${check.text.slice(0, 300)}`,
    );
  }
  const load =
    post === undefined
      ? {}
      : { method, body: JSON.stringify(post), headers: { ...headers, 'content-type': 'application/json' } };
  const run = (seconds) => cannon(url, load.headers ?? headers, connections, seconds, load);
  if (settings.warmupSeconds > 0) {
    console.error(`${label}: warming up for ${settings.warmupSeconds} s...`);
    await run(settings.warmupSeconds);
  }
  console.error(`${label}: measuring for ${settings.durationSeconds} s...`);
  const result = await run(settings.durationSeconds);
  return {
    label,
    url,
    requestsPerSecond: result.requests.average,
    requestsTotal: result.requests.total,
    latencyP50Ms: result.latency.p50,
    latencyP99Ms: result.latency.p99,
    non2xx: result.non2xx,
    errors: result.errors,
    timeouts: result.timeouts,
  };
}

const format = (value, digits = 0) =>
  value.toLocaleString('en-US', { maximumFractionDigits: digits, minimumFractionDigits: digits });

/** Columns padded to their widest cell; the first one left-aligned, the others right-aligned. */
function printColumns(header, body) {
  const widths = header.map((_, i) => Math.max(...[header, ...body].map((cells) => cells[i].length)));
  const line = (cells) =>
    cells.map((cell, i) => (i === 0 ? cell.padEnd(widths[i]) : cell.padStart(widths[i]))).join('   ');
  console.log(line(header));
  for (const cells of body) console.log(line(cells));
}

function printTable(settings, report) {
  const { throughput, coldStart, memory } = report;
  console.log('');
  console.log(
    `${settings.connections} connections, ${settings.durationSeconds} s measured after a ${settings.warmupSeconds} s warm-up; ` +
      `API in production mode with LOG_LEVEL=${settings.logLevel}; Node ${process.version}, ${os.cpus().length} CPUs`,
  );
  printColumns(
    ['target', 'req/s (avg)', 'p50 ms', 'p99 ms', 'non-2xx', 'errors', 'vs bare Fastify'],
    throughput.map((row) => [
      row.label,
      format(row.requestsPerSecond),
      format(row.latencyP50Ms),
      format(row.latencyP99Ms),
      format(row.non2xx),
      format(row.errors),
      row.ratio.toFixed(2),
    ]),
  );
  console.log('');
  const rows = [];
  if (coldStart) {
    rows.push([
      `cold start to the first 200, median of ${settings.coldStarts} (ms)`,
      format(coldStart.nest.medianMs),
      format(coldStart.api.medianMs),
      coldStart.ratio.toFixed(2),
    ]);
  }
  rows.push(
    [
      'RSS idle, after boot (MiB)',
      format(memory.nest.idleMiB),
      format(memory.api.idleMiB),
      memory.idleRatio.toFixed(2),
    ],
    [
      'RSS after the load runs (MiB)',
      format(memory.nest.afterLoadMiB),
      format(memory.api.afterLoadMiB),
      memory.afterLoadRatio.toFixed(2),
    ],
  );
  printColumns(['start-up and memory', 'bare Nest', 'API', 'API / bare Nest'], rows);
  console.log('');
  const { login } = report;
  printColumns(
    [`sign-in, ${LOGIN_CONNECTIONS} at a time`, 'req/s (avg)', 'p99 ms', 'vs argon2id alone'],
    [
      ["argon2id verification alone (the API's parameters)", format(login.argon2PerSecond), '', '1.00'],
      [
        'API POST /v1/auth/login',
        format(login.api.requestsPerSecond),
        format(login.api.latencyP99Ms),
        login.ratio.toFixed(2),
      ],
    ],
  );
  console.log('');
  const verdict = report.meetsTarget ? 'meets the target' : 'BELOW TARGET';
  console.log(`ratio api / bare: ${report.ratio.toFixed(2)} (target >= ${TARGET_RATIO.toFixed(2)}): ${verdict}`);
  if (report.sameWorkRatio !== undefined) {
    console.log(
      `ratio same work by hand / bare: ${report.sameWorkRatio.toFixed(2)} (the ceiling for that work on this machine)`,
    );
  }
}

/**
 * Sign-in throughput, bounded by argon2id: POST /v1/auth/login with the bench user's credentials,
 * after the reference, the API's own `verifyPassword` run the same number at a time in this
 * process for the same duration, with no server running a request.
 */
async function measureLogin(apiUrl, account, settings) {
  const { hashPassword, verifyPassword } = await import(PASSWORD_HASHER);
  const hash = await hashPassword(account.password);
  console.error(`argon2id alone: measuring for ${settings.durationSeconds} s...`);
  const started = performance.now();
  const deadline = started + settings.durationSeconds * 1000;
  let verified = 0;
  const verifier = async () => {
    while (performance.now() < deadline && !interrupted) {
      if (!(await verifyPassword(hash, account.password)))
        throw new BenchError('argon2id: the password did not verify');
      verified++;
    }
  };
  await Promise.all(Array.from({ length: LOGIN_CONNECTIONS }, verifier));
  const argon2PerSecond = verified / ((performance.now() - started) / 1000);
  const api = await measure('API POST /v1/auth/login', `${apiUrl}/v1/auth/login`, {}, settings, {
    post: { email: account.email, password: account.password },
    connections: LOGIN_CONNECTIONS,
  });
  return { connections: LOGIN_CONNECTIONS, argon2PerSecond, api, ratio: api.requestsPerSecond / argon2PerSecond };
}

// ---- main ----------------------------------------------------------------------------------------

async function main() {
  if (!existsSync(API_MAIN)) {
    console.error(`No built API at ${path.relative(ROOT, API_MAIN)}: run npm run build first.`);
    return 1;
  }
  const settings = readSettings();

  let databaseUrl = settings.databaseUrl;
  if (databaseUrl === undefined) {
    console.error(`Creating the database ${BENCH_DATABASE}...`);
    databaseUrl = await createBenchDatabase(settings.postgresUrl);
  }
  await clearBenchKeys(settings.redisUrl);
  onCleanup(() => clearBenchKeys(settings.redisUrl));

  const runtimeEnv = await productionRuntimeEnv();
  const apiEnv = {
    ...process.env,
    ...runtimeEnv,
    NODE_ENV: 'production',
    HOST: '127.0.0.1',
    JWT_SECRET: randomBytes(36).toString('base64url'), // 48 characters
    DATABASE_URL: databaseUrl,
    ...(settings.redisUrl ? { REDIS_URL: settings.redisUrl } : {}),
    LOG_LEVEL: settings.logLevel,
    CACHE_KEY_PREFIX,
    // The configuration's maximum: far above what one benchmark sends in a minute.
    RATE_LIMIT_PER_MINUTE: '1000000',
    // The configuration's maximum too: the sign-in run stays far below it.
    RATE_LIMIT_AUTH_PER_MINUTE: '1000000',
  };
  // The bare apps run with the same allocator settings: the reference is deployed as the API is.
  const helloEnv = { ...process.env, ...runtimeEnv, HOST: '127.0.0.1' };
  console.error('Applying the migrations...');
  await runToCompletion('migrate', [MIGRATE], apiEnv);

  // Cold starts first, with nothing else running: a fresh process each time, stopped once it answers.
  let coldStart;
  if (settings.coldStarts > 0) {
    const starts = await measureColdStarts(
      [
        { key: 'nest', label: 'bare Nest', script: NEST_SERVER, env: helloEnv, readyPath: '/' },
        { key: 'api', label: 'API', script: API_MAIN, env: apiEnv, readyPath: PIPELINE_PATH },
      ],
      settings.coldStarts,
    );
    coldStart = { runs: settings.coldStarts, ...starts, ratio: starts.api.medianMs / starts.nest.medianMs };
  }

  const [barePort, nestPort, apiPort] = [await freePort(), await freePort(), await freePort()];
  const bare = startChild('fastify', [BARE_SERVER], { ...helloEnv, PORT: String(barePort) });
  onCleanup(() => stopChild(bare));
  const nest = startChild('nest', [NEST_SERVER], { ...helloEnv, PORT: String(nestPort) });
  onCleanup(() => stopChild(nest));
  const api = startChild('api', [API_MAIN], {
    ...apiEnv,
    PORT: String(apiPort),
    PUBLIC_URL: `http://127.0.0.1:${apiPort}`,
  });
  onCleanup(() => stopChild(api));
  const bareUrl = `http://127.0.0.1:${barePort}`;
  const nestUrl = `http://127.0.0.1:${nestPort}`;
  const apiUrl = `http://127.0.0.1:${apiPort}`;
  await Promise.all([
    waitUntilReady(bare, `${bareUrl}/`),
    waitUntilReady(nest, `${nestUrl}/`),
    waitUntilReady(api, `${apiUrl}/health/ready`),
  ]);
  // Idle memory: after boot and the readiness probes, before any load (and before the user exists).
  await sleep(SETTLE_MS);
  const idle = { nest: await residentMiB(nest.child.pid), api: await residentMiB(api.child.pid) };

  const headers = {};
  console.error('Registering a user and logging in...');
  const account = await obtainAccessToken(apiUrl);
  if (settings.auth) headers.authorization = `Bearer ${account.accessToken}`;

  const bareResult = await measure('bare Fastify GET /', `${bareUrl}/`, {}, settings);
  const nestResult = await measure('bare Nest GET /', `${nestUrl}/`, {}, settings);
  // The request pipeline alone, unless BENCH_PATH already is that route.
  const pipelineResult =
    settings.path === PIPELINE_PATH
      ? undefined
      : await measure(`API GET ${PIPELINE_PATH}`, `${apiUrl}${PIPELINE_PATH}`, {}, settings);
  const apiResult = await measure(`API GET ${settings.path}`, `${apiUrl}${settings.path}`, headers, settings);
  const ratio = apiResult.requestsPerSecond / bareResult.requestsPerSecond;
  // The same per-request work as GET /v1/users/me, by hand on bare Fastify: meaningful for that
  // route with a token and Redis only.
  let sameWorkResult;
  if (settings.auth && settings.redisUrl && settings.path === '/v1/users/me') {
    const port = await freePort();
    const sameWork = startChild('same-work', [SAME_WORK_SERVER], {
      ...process.env,
      HOST: '127.0.0.1',
      PORT: String(port),
      REDIS_URL: settings.redisUrl,
      JWT_SECRET: apiEnv.JWT_SECRET,
      KEY_PREFIX: CACHE_KEY_PREFIX,
    });
    onCleanup(() => stopChild(sameWork));
    const url = `http://127.0.0.1:${port}/`;
    await waitUntilReady(sameWork, `${url}ready`);
    sameWorkResult = await measure('same work by hand GET /', url, headers, settings);
    await stopChild(sameWork);
  }
  const afterLoad = { nest: await residentMiB(nest.child.pid), api: await residentMiB(api.child.pid) };
  const login = await measureLogin(apiUrl, account, settings);
  const sameWorkRatio = sameWorkResult && sameWorkResult.requestsPerSecond / bareResult.requestsPerSecond;
  const memory = {
    nest: { idleMiB: idle.nest, afterLoadMiB: afterLoad.nest },
    api: { idleMiB: idle.api, afterLoadMiB: afterLoad.api },
    idleRatio: idle.api / idle.nest,
    afterLoadRatio: afterLoad.api / afterLoad.nest,
  };

  const measured = [bareResult, nestResult, pipelineResult, apiResult, sameWorkResult, login.api].filter(Boolean);
  const throughput = measured
    .filter((row) => row !== login.api)
    .map((row) => ({
      ...row,
      ratio: row.requestsPerSecond / bareResult.requestsPerSecond,
    }));
  const problems = measured
    .filter((row) => row.non2xx > 0 || row.errors > 0)
    .map(
      (row) =>
        `${row.label}: ${row.non2xx} non-2xx responses, ${row.errors} connection errors (${row.timeouts} timeouts)`,
    );
  const valid = problems.length === 0;
  const meetsTarget = ratio >= TARGET_RATIO;
  const { connections, durationSeconds, warmupSeconds, coldStarts, auth, logLevel, enforce } = settings;
  const report = {
    date: new Date().toISOString(),
    node: process.version,
    platform: `${os.platform()} ${os.arch()}`,
    cpus: os.cpus().length,
    cpuModel: os.cpus()[0]?.model,
    settings: { connections, durationSeconds, warmupSeconds, coldStarts, path: settings.path, auth, logLevel, enforce },
    // Every throughput row, in the order measured, with its ratio to bare Fastify.
    throughput,
    bare: bareResult,
    nest: nestResult,
    ...(pipelineResult ? { pipeline: pipelineResult } : {}),
    api: apiResult,
    ratio,
    nestRatio: nestResult.requestsPerSecond / bareResult.requestsPerSecond,
    ...(pipelineResult ? { pipelineRatio: pipelineResult.requestsPerSecond / bareResult.requestsPerSecond } : {}),
    ...(sameWorkResult ? { sameWork: sameWorkResult, sameWorkRatio } : {}),
    // Start-up and memory, the API against the bare Nest app.
    ...(coldStart ? { coldStart } : {}),
    memory,
    login,
    target: TARGET_RATIO,
    meetsTarget,
    valid,
    problems,
  };
  printTable(settings, report);
  await mkdir(path.dirname(RESULTS_FILE), { recursive: true });
  await writeFile(RESULTS_FILE, `${JSON.stringify(report, null, 2)}\n`);
  console.log(`results: ${path.relative(ROOT, RESULTS_FILE)}`);

  if (!valid) {
    console.error(`\nINVALID RUN: every response must be 2xx and no connection may fail.\n  ${problems.join('\n  ')}`);
    return 1;
  }
  if (!meetsTarget && enforce) {
    console.error(`\nBENCH_ENFORCE=1 and the ratio ${ratio.toFixed(2)} is below ${TARGET_RATIO.toFixed(2)}.`);
    return 1;
  }
  return 0;
}

let exitCode = 1;
try {
  exitCode = await main();
} catch (error) {
  if (!interrupted)
    console.error(`\nbench failed: ${error instanceof BenchError ? error.message : (error?.stack ?? error)}`);
} finally {
  await cleanup();
}
process.exit(exitCode);
