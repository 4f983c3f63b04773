import { createParamDecorator, type ExecutionContext } from '@nestjs/common';
import type { FastifyRequest } from 'fastify';
import type { AuthUser, ClientInfo } from '../auth-user.js';

/** The authenticated caller (set by the global access-token guard). */
export const CurrentUser = createParamDecorator((_data: unknown, context: ExecutionContext): AuthUser => {
  const user = context.switchToHttp().getRequest<FastifyRequest & { user?: AuthUser }>().user;
  if (!user) throw new Error('CurrentUser used on a route without authentication');
  return user;
});

/** The caller's IP (honouring TRUST_PROXY) and User-Agent, truncated for storage. */
export const Client = createParamDecorator((_data: unknown, context: ExecutionContext): ClientInfo => {
  const request = context.switchToHttp().getRequest<FastifyRequest>();
  const userAgent = request.headers['user-agent'];
  return { ip: request.ip, userAgent: userAgent ? userAgent.slice(0, 255) : undefined };
});
