// A reference point of the benchmark: bare Fastify doing, by hand and with nothing else, the
// per-request work the specification asks of `GET /v1/users/me`: count the request in a Redis
// rate limit (the cheapest shared one: a fixed-window INCR script), verify the HS256 access token,
// look the session up in Redis for revocation, and read the cached user from Redis. No Nest, no
// passport, no logging, no validation, no security headers. Its throughput is about the ceiling
// for any implementation of that route on this machine.
// PORT, REDIS_URL, JWT_SECRET and KEY_PREFIX (all required) and HOST come from the environment.
import { createSecretKey } from 'node:crypto';
import Fastify from 'fastify';
import jwt from 'jsonwebtoken';
import { createClient } from '@redis/client';

const { PORT, REDIS_URL, JWT_SECRET, KEY_PREFIX } = process.env;
const port = Number(PORT);
if (!Number.isInteger(port) || port <= 0 || !REDIS_URL || !JWT_SECRET || !KEY_PREFIX) {
  console.error('fastify-same-work: set PORT, REDIS_URL, JWT_SECRET and KEY_PREFIX');
  process.exit(1);
}

const RATE_LIMIT_SCRIPT = `
local hits = redis.call('INCR', KEYS[1])
if hits == 1 then redis.call('PEXPIRE', KEYS[1], 60000) end
return hits`;
const key = createSecretKey(Buffer.from(JWT_SECRET, 'utf8'));
const redis = createClient({ url: REDIS_URL, disableOfflineQueue: true });
await redis.connect();
const rateLimitSha = await redis.scriptLoad(RATE_LIMIT_SCRIPT);
const userKey = `${KEY_PREFIX}:same-work:user`;
// As the API's cache stores an entry: Keyv's envelope (`value`) around AppCache's `{ v }`.
await redis.set(userKey, JSON.stringify({ value: { v: { id: 'user', email: 'user@example.com', name: 'User' } } }), {
  EX: 600,
});
// The revoked sessions, vouched complete as a rebuild leaves them (the API's MarkerSet).
const revokedKey = `${KEY_PREFIX}:same-work:revoked-sessions`;
await redis.zAdd(revokedKey, { score: Date.now() + 600_000, value: '~complete' });
await redis.pExpire(revokedKey, 600_000);

const app = Fastify({ logger: false });
app.get('/ready', async () => ({ ready: true }));
app.get('/', async (request, reply) => {
  await redis.evalSha(rateLimitSha, { keys: [`${KEY_PREFIX}:same-work:rate:${request.ip}`] });
  const token = request.headers.authorization?.startsWith('Bearer ') ? request.headers.authorization.slice(7) : '';
  let claims;
  try {
    claims = jwt.verify(token, key, { algorithms: ['HS256'] });
  } catch {
    return reply.code(401).send({ error: 'invalid token' });
  }
  const [revoked, complete] = await redis.zmScore(revokedKey, [claims.sid, '~complete']);
  if (revoked !== null) return reply.code(401).send({ error: 'revoked' });
  // The API would ask the database here; this server has none.
  if (complete === null) return reply.code(503).send({ error: 'revocations not vouched for' });
  return JSON.parse((await redis.get(userKey)) ?? 'null').value.v;
});

for (const signal of ['SIGTERM', 'SIGINT'])
  process.once(signal, () => void Promise.all([app.close(), redis.close()]).then(() => process.exit(0)));

await app.listen({ port, host: process.env.HOST ?? '127.0.0.1' });
