import { createHash } from 'node:crypto';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { PRIVATE_NO_STORE } from '@app/common';

/** A strong validator of a body: the first 128 bits of its SHA-256, base64url, quoted. */
export function entityTag(body: string | Buffer): string {
  return `"${createHash('sha256').update(body).digest('base64url').slice(0, 22)}"`;
}

/**
 * RFC 9110 13.1.2: whether an `If-None-Match` value (`*`, or a list of entity tags) matches the
 * current tag, comparing weakly (a `W/` prefix on either side is ignored).
 */
export function ifNoneMatchMatches(header: string | undefined, etag: string): boolean {
  if (header === undefined) return false;
  const trimmed = header.trim();
  if (trimmed === '*') return true;
  const opaque = (tag: string) => (tag.startsWith('W/') ? tag.slice(2) : tag);
  const current = opaque(etag);
  return trimmed.split(',').some((tag) => opaque(tag.trim()) === current);
}

/**
 * Cache headers for CDNs and browsers, set as each answer is sent:
 * - an answer to an authenticated request (`Authorization` or `X-API-Key` sent) that names no
 *   `Cache-Control` of its own is `private, no-store`: personal data never lands in a shared cache or on disk;
 * - a route's `public` `Cache-Control` (`@SharedCache()`, the published spec) holds for its
 *   successful answers only: an error (a 400, a 503 while the database is down) is `no-store`, or
 *   a CDN would keep serving it;
 * - a successful GET or HEAD whose `Cache-Control` is `public` gets an `ETag`, and a `304` with no
 *   body (and no `Content-Length` or `Content-Type`) when the request's `If-None-Match` matches it.
 */
export function registerHttpCaching(fastify: FastifyInstance): void {
  fastify.addHook('onSend', (request: FastifyRequest, reply: FastifyReply, payload: unknown, done) => {
    const cacheControl = reply.getHeader('cache-control');
    if (cacheControl === undefined) {
      if (request.headers.authorization !== undefined || request.headers['x-api-key'] !== undefined) {
        void reply.header('cache-control', PRIVATE_NO_STORE);
      }
      done(null, payload);
      return;
    }
    const shared = typeof cacheControl === 'string' && cacheControl.startsWith('public');
    if (shared && (reply.statusCode < 200 || reply.statusCode >= 300)) void reply.header('cache-control', 'no-store');
    const conditional =
      shared &&
      (request.method === 'GET' || request.method === 'HEAD') &&
      reply.statusCode === 200 &&
      (typeof payload === 'string' || Buffer.isBuffer(payload));
    if (!conditional) {
      done(null, payload);
      return;
    }
    const etag = entityTag(payload);
    void reply.header('etag', etag);
    if (ifNoneMatchMatches(request.headers['if-none-match'], etag)) {
      // RFC 9110 8.6: a 304 carries no Content-Length other than the full answer's. None for a GET;
      // a HEAD keeps its payload, from which Fastify's HEAD handler states the full answer's length.
      void reply.code(304).removeHeader('content-type').removeHeader('content-length');
      done(null, request.method === 'HEAD' ? payload : null);
      return;
    }
    done(null, payload);
  });
}
