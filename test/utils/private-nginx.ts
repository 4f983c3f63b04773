import { spawn, type ChildProcess } from 'node:child_process';
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { freePort } from './built-app.js';
import { eventually } from './flaky-proxy.js';

/** The load-balancer configuration the repository ships (an http-level file). */
export const NGINX_SITE = path.resolve('deploy/nginx/api.conf');

/**
 * `deploy/nginx/api.conf` with its upstream's server lines pointing at `ports` (each keeping the
 * parameters of the file's first server line) and listening on 127.0.0.1:`port`. Everything else
 * is the committed file, so the test runs what a team deploys.
 */
export function renderSite(site: string, upstreamPorts: number[], port: number): string {
  const upstream = /(upstream api \{[^}]*?)((?:^\s*server \S+ ?([^;]*);\n)+)/m.exec(site);
  if (!upstream) throw new Error(`${NGINX_SITE}: no "upstream api" block with server lines`);
  const [, , serverLines, parameters] = upstream;
  const servers = upstreamPorts.map((p) => `    server 127.0.0.1:${p} ${parameters};\n`).join('');
  const rendered = site.replace(serverLines ?? '', servers);
  if (!/^\s*listen 80;$/m.test(rendered)) throw new Error(`${NGINX_SITE}: no "listen 80;" line`);
  return rendered.replace(/^(\s*)listen 80;$/m, `$1listen 127.0.0.1:${port};`);
}

/**
 * An nginx of this test's own (Debian's `nginx-light`, in the foreground) with the shipped site in
 * front of the given instances; its files live in a temporary prefix.
 */
export class PrivateNginx {
  private process: ChildProcess | undefined;
  private log = '';

  private constructor(
    readonly port: number,
    private readonly prefix: string,
  ) {}

  static async start(upstreamPorts: number[]): Promise<PrivateNginx> {
    const prefix = mkdtempSync(path.join(tmpdir(), 'nginx-'));
    // As root, nginx's workers run as nobody: they need to reach the prefix and its temp folders.
    chmodSync(prefix, 0o755);
    for (const dir of ['client_body', 'proxy', 'logs']) {
      mkdirSync(path.join(prefix, dir));
      chmodSync(path.join(prefix, dir), 0o777);
    }
    const nginx = new PrivateNginx(await freePort(), prefix);
    writeFileSync(
      path.join(prefix, 'api.conf'),
      renderSite(readFileSync(NGINX_SITE, 'utf8'), upstreamPorts, nginx.port),
    );
    writeFileSync(
      path.join(prefix, 'nginx.conf'),
      [
        'worker_processes 1;',
        `pid ${prefix}/nginx.pid;`,
        'error_log stderr warn;',
        'events { worker_connections 1024; }',
        'http {',
        `  access_log off;`,
        `  client_body_temp_path ${prefix}/client_body;`,
        `  proxy_temp_path ${prefix}/proxy;`,
        '  fastcgi_temp_path /dev/null; uwsgi_temp_path /dev/null; scgi_temp_path /dev/null;',
        `  include ${prefix}/api.conf;`,
        '}',
        '',
      ].join('\n'),
    );
    nginx.process = spawn('nginx', ['-p', prefix, '-c', path.join(prefix, 'nginx.conf'), '-g', 'daemon off;'], {
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    nginx.process.stderr?.on('data', (chunk: Buffer) => (nginx.log += chunk.toString()));
    try {
      await eventually(async () => {
        if (nginx.process?.exitCode !== null) throw new Error(`nginx exited:\n${nginx.log}`);
        return (await fetch(`${nginx.baseUrl}/health/live`).catch(() => undefined)) !== undefined;
      }, 10_000);
    } catch (error) {
      await nginx.stop();
      throw error;
    }
    return nginx;
  }

  get baseUrl(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  /** What nginx wrote to its error log (upstream failures, retries). */
  errors(): string {
    return this.log;
  }

  async stop(): Promise<void> {
    const running = this.process;
    if (running && running.exitCode === null) {
      const exited = new Promise((resolve) => running.once('exit', resolve));
      running.kill('SIGQUIT');
      await exited;
    }
    rmSync(this.prefix, { recursive: true, force: true });
  }
}
