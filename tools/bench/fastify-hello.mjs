// The baseline of the benchmark: a bare Fastify server, no plugins, no logging, one route.
// PORT (required) and HOST (default 127.0.0.1) come from the environment.
import Fastify from 'fastify';

const port = Number(process.env.PORT);
if (!Number.isInteger(port) || port <= 0) {
  console.error('fastify-hello: set PORT');
  process.exit(1);
}

const app = Fastify({ logger: false });
app.get('/', async () => ({ hello: 'world' }));

for (const signal of ['SIGTERM', 'SIGINT']) process.once(signal, () => void app.close().then(() => process.exit(0)));

await app.listen({ port, host: process.env.HOST ?? '127.0.0.1' });
