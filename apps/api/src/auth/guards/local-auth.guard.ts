import { Injectable, type CanActivate, type ExecutionContext } from '@nestjs/common';
import { plainToInstance } from 'class-transformer';
import { validate } from 'class-validator';
import type { FastifyRequest } from 'fastify';
import { assertSafeInput, flattenValidationErrors, ValidationFailedError } from '@app/common';
import { authenticateWith } from '../../iam/access-tokens/authenticate-with.js';
import type { VerifiedCredentials } from '../auth.service.js';
import { LoginDto } from '../dto/login.dto.js';
import { InvalidCredentialsError } from '../auth.errors.js';
import { LocalStrategy } from '../strategies/local.strategy.js';

/**
 * Guards run before pipes, so the login body is validated here, with the same rules and error
 * shape as the global ValidationPipe, before passport-local sees it. The credentials are checked by
 * this app's own LocalStrategy (see {@link authenticateWith}).
 */
@Injectable()
export class LocalAuthGuard implements CanActivate {
  constructor(private readonly strategy: LocalStrategy) {}

  async canActivate(context: ExecutionContext): Promise<boolean> {
    const body = context.switchToHttp().getRequest<FastifyRequest>().body ?? {};
    if (typeof body !== 'object' || Array.isArray(body)) {
      throw new ValidationFailedError([{ field: '', message: 'the body must be a JSON object' }]);
    }
    assertSafeInput(body);
    const errors = await validate(plainToInstance(LoginDto, body), { whitelist: true, forbidNonWhitelisted: true });
    if (errors.length > 0) throw new ValidationFailedError(flattenValidationErrors(errors));
    await authenticateWith(this.strategy, context, (error, found) => this.handleRequest(error, found));
    return true;
  }

  /**
   * passport-local reports bad credentials as "no user"; an error is something else (the database
   * unavailable, a bug) and goes to the exception filter as it is: a 503 or a 500, never a 401.
   */
  handleRequest(error: Error | null | undefined, user: unknown): VerifiedCredentials {
    if (error) throw error;
    if (!user) throw new InvalidCredentialsError();
    return user as VerifiedCredentials;
  }
}
