import type { IncomingMessage } from 'node:http';
import type { Params } from 'nestjs-pino';
import type { AppConfig } from '@app/config';

/**
 * Everything secret that can reach a log line. Paths are pino redaction paths; `*` matches one
 * level, so request bodies (`req.body`) are never logged in the first place.
 */
export const REDACTED_PATHS = [
  'req.headers.authorization',
  'req.headers.cookie',
  'req.headers["x-api-key"]',
  'res.headers["set-cookie"]',
  'password',
  '*.password',
  '*.currentPassword',
  '*.newPassword',
  '*.passwordHash',
  '*.refreshToken',
  '*.accessToken',
  '*.token',
];

/** Structured JSON logs, one line per event, each carrying the request id inside a request. */
export function loggerParams(config: AppConfig): Params {
  return {
    pinoHttp: {
      level: config.app.logLevel,
      // Fastify already assigned the id (accepted from x-request-id or generated); middie copies it to raw.
      genReqId: (req: IncomingMessage) => (req as IncomingMessage & { id: string }).id,
      customAttributeKeys: { reqId: 'requestId' },
      // Inside a request every line gets `requestId`; only the completion line carries req/res.
      quietReqLogger: true,
      redact: { paths: REDACTED_PATHS, censor: '[REDACTED]' },
      serializers: {
        // Headers are left out on purpose: they carry credentials and cookies.
        req: (req: { id: string; method: string; url: string; remoteAddress?: string; headers: Record<string, unknown> }) => ({
          id: req.id,
          method: req.method,
          // The path only: query strings can carry tokens.
          url: req.url.split('?', 1)[0],
          remoteAddress: req.remoteAddress,
          userAgent: req.headers['user-agent'],
        }),
        res: (res: { statusCode: number }) => ({ statusCode: res.statusCode }),
      },
      customLogLevel: (_req, res, error) => (error || res.statusCode >= 500 ? 'error' : res.statusCode >= 400 ? 'warn' : 'info'),
      autoLogging: { ignore: (req) => (req.url ?? '').startsWith('/health/') },
    },
  };
}
