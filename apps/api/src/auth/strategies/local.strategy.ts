import { Injectable } from '@nestjs/common';
import { PassportStrategy } from '@nestjs/passport';
import { Strategy } from 'passport-local';
import type { FastifyRequest } from 'fastify';
import { clientInfoOf } from '../../iam/auth-user.js';
import { AuthService, type VerifiedCredentials } from '../auth.service.js';
import type { LoginDto } from '../dto/login.dto.js';
import { DEVICE_COOKIE } from '../lockout/device-tokens.js';

/**
 * Email + password sign-in; the body was validated by LocalAuthGuard before this runs. The device
 * token comes from the body (API clients) or else the httpOnly cookie (browsers).
 */
@Injectable()
export class LocalStrategy extends PassportStrategy(Strategy, 'local') {
  constructor(private readonly auth: AuthService) {
    super({ usernameField: 'email', passwordField: 'password', passReqToCallback: true, session: false });
  }

  validate(request: FastifyRequest, email: string, password: string): Promise<VerifiedCredentials> {
    const deviceToken = (request.body as LoginDto).deviceToken ?? request.cookies[DEVICE_COOKIE];
    return this.auth.verifyCredentials(email, password, clientInfoOf(request), deviceToken);
  }
}
