import net from 'node:net';

/**
 * A TCP proxy in front of a real server (Redis or PostgreSQL in our tests): `stop()` is an outage,
 * `start()` again a recovery on the same port, `stall()` a server that hangs without closing
 * connections (new ones are accepted, and hang too).
 */
export class FlakyProxy {
  private server: net.Server | undefined;
  private readonly sockets = new Set<net.Socket>();
  private stalled = false;
  port = 0;

  constructor(private readonly target: URL) {}

  async start(): Promise<void> {
    const defaultPort = this.target.protocol.startsWith('redis') ? 6379 : 80;
    this.server = net.createServer((client) => {
      const upstream = net.connect(Number(this.target.port || defaultPort), this.target.hostname);
      for (const socket of [client, upstream]) {
        this.sockets.add(socket);
        socket.on('close', () => this.sockets.delete(socket));
        socket.on('error', () => socket.destroy());
      }
      client.pipe(upstream).pipe(client);
      client.on('close', () => upstream.destroy());
      upstream.on('close', () => client.destroy());
      if (this.stalled) for (const socket of [client, upstream]) socket.pause();
    });
    await new Promise<void>((resolve) => this.server?.listen(this.port, '127.0.0.1', resolve));
    this.port = (this.server.address() as net.AddressInfo).port;
  }

  /** Connections stay open but nothing gets through. */
  stall(): void {
    this.stalled = true;
    for (const socket of this.sockets) socket.pause();
  }

  resume(): void {
    this.stalled = false;
    for (const socket of this.sockets) socket.resume();
  }

  /** Stops accepting first, then cuts the open connections, as a crashed server would. */
  async stop(): Promise<void> {
    const server = this.server;
    const closed = new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve()));
    for (const socket of this.sockets) socket.destroy();
    await closed;
  }
}

/** Polls `check` every 100 ms until it holds, or fails after `timeoutMs`. */
export async function eventually(check: () => Promise<boolean> | boolean, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}
