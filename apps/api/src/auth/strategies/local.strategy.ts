import { Injectable } from '@nestjs/common';
import { PassportStrategy } from '@nestjs/passport';
import { Strategy } from 'passport-local';
import type { FastifyRequest } from 'fastify';
import { AuthService, type VerifiedCredentials } from '../auth.service.js';
import { clientInfoOf } from '../auth-user.js';

/** Email + password sign-in; the body was validated by LocalAuthGuard before this runs. */
@Injectable()
export class LocalStrategy extends PassportStrategy(Strategy, 'local') {
  constructor(private readonly auth: AuthService) {
    super({ usernameField: 'email', passwordField: 'password', passReqToCallback: true, session: false });
  }

  validate(request: FastifyRequest, email: string, password: string): Promise<VerifiedCredentials> {
    return this.auth.verifyCredentials(email, password, clientInfoOf(request));
  }
}
