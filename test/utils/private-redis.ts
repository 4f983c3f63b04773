import { spawn, type ChildProcess } from 'node:child_process';
import { tmpdir } from 'node:os';
import { createClient } from '@redis/client';
import { freePort } from './built-app.js';
import { eventually } from './flaky-proxy.js';

/** Longest wait for the server to answer after a start, or to exit after a stop. */
const WAIT_MS = 10_000;

/**
 * A `redis-server` of this test's own on a free port of 127.0.0.1, persisting nothing, that the test
 * may stop, restart (empty, as a real restart without persistence is), flush or reconfigure. The
 * shared Redis of the suite is never touched.
 */
export class PrivateRedis {
  private server: ChildProcess | undefined;

  private constructor(readonly port: number) {}

  static async start(): Promise<PrivateRedis> {
    const redis = new PrivateRedis(await freePort());
    await redis.start();
    return redis;
  }

  get url(): string {
    return `redis://127.0.0.1:${this.port}`;
  }

  async start(): Promise<void> {
    const args = ['--port', String(this.port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'];
    this.server = spawn('redis-server', [...args, '--dir', tmpdir(), '--maxmemory-policy', 'noeviction'], {
      stdio: 'ignore',
    });
    await eventually(async () => (await this.command('PING').catch(() => undefined)) === 'PONG', WAIT_MS);
  }

  /** `SHUTDOWN NOSAVE`, then waits for the process to exit (killed if it does not). */
  async stop(): Promise<void> {
    const server = this.server;
    if (!server || server.exitCode !== null || server.signalCode !== null) return;
    const exited = new Promise<void>((resolve) => server.once('exit', () => resolve()));
    // The server closes the connection instead of answering.
    await this.command('SHUTDOWN', 'NOSAVE').catch(() => undefined);
    const timer = setTimeout(() => server.kill('SIGKILL'), WAIT_MS);
    await exited.finally(() => clearTimeout(timer));
    this.server = undefined;
  }

  /** Stopped and started again on the same port: every key is gone. */
  async restart(): Promise<void> {
    await this.stop();
    await this.start();
  }

  /** One command on a connection of its own. */
  async command(...args: string[]): Promise<unknown> {
    const client = createClient({ url: this.url, disableOfflineQueue: true, socket: { reconnectStrategy: false } });
    client.on('error', () => undefined);
    await client.connect();
    try {
      return await client.sendCommand(args);
    } finally {
      client.destroy();
    }
  }
}
