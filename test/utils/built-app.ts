import { execFile, spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { existsSync, statSync } from 'node:fs';
import net from 'node:net';
import { resolve } from 'node:path';
import { promisify } from 'node:util';

/** The production entry (the bundle), as `npm run build` (part of `npm test`) leaves it. */
export const DIST_MAIN = resolve('dist/api/main.mjs');
/** `npm run openapi` without the build: writes (or with `--stdout` prints) the built app's spec. */
export const OPENAPI_WRITER = resolve('tools/openapi.mjs');

/** What `nest build` compiles the entry to; the bundle is made from it. */
const COMPILED_MAIN = resolve('dist/apps/api/apps/api/src/main.js');

export function assertBuilt(): void {
  if (!existsSync(DIST_MAIN) || !existsSync(COMPILED_MAIN))
    throw new Error(`${DIST_MAIN} is missing: run the suite through \`npm test\`, which builds first.`);
  // `nest build` alone (or `start:dev`) leaves an older bundle behind.
  if (statSync(DIST_MAIN).mtimeMs < statSync(COMPILED_MAIN).mtimeMs)
    throw new Error(`${DIST_MAIN} is older than ${COMPILED_MAIN}: run \`npm run build\`, which bundles it.`);
}

export const execFileAsync = promisify(execFile);

export async function freePort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
  const { port } = server.address() as net.AddressInfo;
  await new Promise<void>((done) => server.close(() => done()));
  return port;
}

/**
 * The environment of a child process: this one's, minus anything that would select real servers,
 * with JSON logs (the tests read them line by line) unless `env` asks for LOG_FORMAT=pretty.
 */
export function childEnv(env: Record<string, string>): NodeJS.ProcessEnv {
  const base = { ...process.env };
  for (const key of ['DATABASE_URL', 'REDIS_URL', 'NODE_OPTIONS', 'NODE_ENV']) delete base[key];
  return { ...base, LOG_FORMAT: 'json', ...env };
}

export interface Exit {
  code: number | null;
  signal: NodeJS.Signals | null;
}

export interface RunningServer {
  child: ChildProcessWithoutNullStreams;
  /** stdout: the JSON log lines. */
  output: () => string;
  stderr: () => string;
  baseUrl: string;
  exited: Promise<Exit>;
}

/**
 * A graceful stop: Nest's shutdown hooks close the app, then re-raise the signal, so the process
 * ends by SIGTERM (status 143 in a shell) rather than with code 0.
 */
export const STOPPED_BY_SIGTERM: Exit = { code: null, signal: 'SIGTERM' };

/**
 * Starts `node dist/api/main.mjs` (the bundle) and waits for its "listening" log line, or, with
 * `readyWhen: 'healthy'` (for a LOG_LEVEL that hides that line), until `GET /health/ready` is a 200.
 * `nodeArgs` go before the script (`--import <file>`, ...).
 */
export async function startServer(
  env: Record<string, string>,
  port: number,
  {
    cwd = process.cwd(),
    readyWhen = 'logged',
    nodeArgs = [],
  }: { cwd?: string; readyWhen?: 'logged' | 'healthy'; nodeArgs?: string[] } = {},
): Promise<RunningServer> {
  assertBuilt();
  const child = spawn(process.execPath, [...nodeArgs, DIST_MAIN], {
    cwd,
    env: childEnv({ ...env, PORT: String(port), HOST: '127.0.0.1' }),
  });
  let output = '';
  let stderr = '';
  child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const exited = new Promise<Exit>((done) => child.on('exit', (code, signal) => done({ code, signal })));
  const baseUrl = `http://127.0.0.1:${port}`;
  const ready = async () =>
    readyWhen === 'logged'
      ? output.includes('API listening on')
      : (await fetch(`${baseUrl}/health/ready`).catch(() => undefined))?.status === 200;
  const deadline = Date.now() + 30_000;
  while (!(await ready())) {
    if (child.exitCode !== null) throw new Error(`server exited with ${child.exitCode}:\n${output}\n${stderr}`);
    if (Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new Error(`server did not start in time:\n${output}\n${stderr.slice(-3000)}`);
    }
    await new Promise((done) => setTimeout(done, 50));
  }
  return { child, output: () => output, stderr: () => stderr, baseUrl, exited };
}
