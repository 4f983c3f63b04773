import { Injectable } from '@nestjs/common';
import { PassportStrategy } from '@nestjs/passport';
import { Strategy } from 'passport-local';
import type { FastifyRequest } from 'fastify';
import { AuthService, type VerifiedCredentials } from '../auth.service.js';

/** Email + password sign-in; the body was validated by LocalAuthGuard before this runs. */
@Injectable()
export class LocalStrategy extends PassportStrategy(Strategy, 'local') {
  constructor(private readonly auth: AuthService) {
    super({ usernameField: 'email', passwordField: 'password', passReqToCallback: true, session: false });
  }

  validate(request: FastifyRequest, email: string, password: string): Promise<VerifiedCredentials> {
    const userAgent = request.headers['user-agent'];
    return this.auth.verifyCredentials(email, password, { ip: request.ip, userAgent: userAgent?.slice(0, 255) });
  }
}
