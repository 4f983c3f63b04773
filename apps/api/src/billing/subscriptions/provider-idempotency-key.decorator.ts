import { createParamDecorator, type ExecutionContext } from '@nestjs/common';
import type { FastifyRequest } from 'fastify';
import { readIdempotencyKey } from '../../core/idempotency/idempotency-key.js';
import type { AuthUser } from '../../iam/auth-user.js';
import { providerIdempotencyKey } from '../stripe/stripe-idempotency-key.js';

/**
 * The request's Idempotency-Key as a key for the billing provider, scoped by the caller and the
 * operation (`<userId>:<operation>:<key>`); undefined without the header, and the service then
 * makes one per call. Retries of one request thus reuse the provider's idempotency too. The key is
 * shaped for Stripe, the strictest provider (at most 255 characters, see `providerIdempotencyKey`).
 */
export const ProviderIdempotencyKey = createParamDecorator(
  (operation: string, context: ExecutionContext): string | undefined => {
    const request = context.switchToHttp().getRequest<FastifyRequest & { user?: AuthUser }>();
    const key = readIdempotencyKey(request.headers, request.raw.rawHeaders);
    if (key === undefined) return undefined;
    if (!request.user) throw new Error('ProviderIdempotencyKey used on a route without authentication');
    return providerIdempotencyKey(request.user.id, operation, key);
  },
);
