import { Injectable, type ExecutionContext } from '@nestjs/common';
import { AuthGuard } from '@nestjs/passport';
import { plainToInstance } from 'class-transformer';
import { validate } from 'class-validator';
import type { FastifyRequest } from 'fastify';
import { assertSafeInput, flattenValidationErrors, ValidationFailedError } from '@app/common';
import { LoginDto } from '../dto/login.dto.js';
import { InvalidCredentialsError } from '../auth.errors.js';

/**
 * Guards run before pipes, so the login body is validated here, with the same rules and error
 * shape as the global ValidationPipe, before passport-local sees it.
 */
@Injectable()
export class LocalAuthGuard extends AuthGuard('local') {
  override async canActivate(context: ExecutionContext): Promise<boolean> {
    const body = context.switchToHttp().getRequest<FastifyRequest>().body ?? {};
    if (typeof body !== 'object' || Array.isArray(body)) {
      throw new ValidationFailedError([{ field: '', message: 'the body must be a JSON object' }]);
    }
    assertSafeInput(body);
    const errors = await validate(plainToInstance(LoginDto, body), { whitelist: true, forbidNonWhitelisted: true });
    if (errors.length > 0) throw new ValidationFailedError(flattenValidationErrors(errors));
    return (await super.canActivate(context)) as boolean;
  }

  /**
   * passport-local reports bad credentials as "no user"; an error is something else (the database
   * unavailable, a bug) and goes to the exception filter as it is: a 503 or a 500, never a 401.
   */
  override handleRequest<T>(error: Error | null | undefined, user: T): T {
    if (error) throw error;
    if (!user) throw new InvalidCredentialsError();
    return user;
  }
}
