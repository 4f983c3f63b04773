import { Body, Controller, HttpCode, HttpStatus, Post, Req, UseGuards } from '@nestjs/common';
import { ApiBody, ApiTags } from '@nestjs/swagger';
import type { FastifyRequest } from 'fastify';
import { ApiProblemResponses, NoStore } from '@app/common';
import { StrictRateLimit } from '../rate-limit/rate-limit.decorator.js';
import { UserResponseDto } from '../users/dto/user-response.dto.js';
import { toUserResponse } from '../users/users.service.js';
import type { AuthUser, ClientInfo } from './auth-user.js';
import { AuthService, type VerifiedCredentials } from './auth.service.js';
import { Auth } from './decorators/auth.decorator.js';
import { Client, CurrentUser } from './decorators/current-user.decorator.js';
import { Public } from './decorators/public.decorator.js';
import { AuthTokensDto } from './dto/auth-tokens.dto.js';
import { ChangePasswordDto } from './dto/change-password.dto.js';
import { ForgotPasswordDto } from './dto/forgot-password.dto.js';
import { LoginDto } from './dto/login.dto.js';
import { RefreshDto } from './dto/refresh.dto.js';
import { RegisterDto } from './dto/register.dto.js';
import { ResetPasswordDto } from './dto/reset-password.dto.js';
import { TokenDto } from './dto/token.dto.js';
import { LocalAuthGuard } from './guards/local-auth.guard.js';

@ApiTags('auth')
@Controller('auth')
export class AuthController {
  constructor(private readonly auth: AuthService) {}

  /**
   * Creates an account and emails a verification link.
   *
   * @remarks Public. The email is normalised (trimmed, compared case-insensitively) and must be unused (409
   * `USER_EMAIL_TAKEN`). The password must be 8-128 characters, not a common password and not built from
   * the email or name (400 `VALIDATION_FAILED` lists every problem). The account can sign in at once;
   * `emailVerified` turns true once the emailed token is posted to `/v1/auth/email/verify`. Strictly
   * rate limited per IP and per email.
   */
  @Post('register')
  @Public()
  @StrictRateLimit()
  @ApiProblemResponses(400, 409)
  async register(@Body() body: RegisterDto): Promise<UserResponseDto> {
    return toUserResponse(await this.auth.register(body));
  }

  /**
   * Signs in with email and password, starting a session (one per device).
   *
   * @remarks Public. An unknown email and a wrong password get the same 401 `INVALID_CREDENTIALS`, in about the
   * same time; a disabled account gets 403. Returns a short-lived access token (send it as
   * `Authorization: Bearer`) and a single-use refresh token for `/v1/auth/refresh`. Strictly rate
   * limited per IP and per email.
   */
  @Post('login')
  @Public()
  @NoStore()
  @UseGuards(LocalAuthGuard)
  @HttpCode(HttpStatus.OK)
  @StrictRateLimit()
  @ApiBody({ type: LoginDto })
  @ApiProblemResponses(400, 401, 403)
  login(
    @Req() request: FastifyRequest & { user: VerifiedCredentials },
    @Client() client: ClientInfo,
  ): Promise<AuthTokensDto> {
    return this.auth.login(request.user, client);
  }

  /**
   * Exchanges a refresh token for new tokens. Presenting a used token revokes its session.
   *
   * @remarks Public: the refresh token is the credential. Every call rotates it: keep the new `refreshToken` and
   * forget the old one. Presenting a token that was already rotated is treated as theft: the whole
   * session (token family) is revoked, the event is recorded and the answer is 401
   * `REFRESH_TOKEN_REUSED`. Expired (idle or absolute), revoked or unknown tokens get 401
   * `INVALID_REFRESH_TOKEN`. Strictly rate limited per IP.
   */
  @Post('refresh')
  @Public()
  @NoStore()
  @HttpCode(HttpStatus.OK)
  @StrictRateLimit()
  @ApiProblemResponses(400, 401)
  refresh(@Body() body: RefreshDto, @Client() client: ClientInfo): Promise<AuthTokensDto> {
    return this.auth.refresh(body.refreshToken, client);
  }

  /**
   * Ends the session of the access token used: its refresh token and access tokens stop working.
   *
   * @remarks The access token used is refused from the next request on, before it expires. Other sessions
   * (devices) stay signed in; see `/v1/auth/logout-all`.
   */
  @Post('logout')
  @Auth()
  @HttpCode(HttpStatus.NO_CONTENT)
  logout(@CurrentUser() user: AuthUser, @Client() client: ClientInfo): Promise<void> {
    return this.auth.logout(user, client);
  }

  /**
   * Ends every session of the caller, this one included.
   *
   * @remarks Every refresh token and access token of the caller stops working at once, on every device.
   */
  @Post('logout-all')
  @Auth()
  @HttpCode(HttpStatus.NO_CONTENT)
  logoutAll(@CurrentUser() user: AuthUser, @Client() client: ClientInfo): Promise<void> {
    return this.auth.logoutAll(user, client);
  }

  /**
   * Confirms an email address (or an email change) with the emailed token.
   *
   * @remarks Public: the emailed token is the credential. Tokens are single-use and expire (24 h by default); an
   * unknown, used or expired token is 400 `INVALID_OR_EXPIRED_TOKEN`. For an email change, the new
   * address replaces the old one now. 409 `EMAIL_ALREADY_VERIFIED` when the token no longer matches the
   * account's (pending) address, and `USER_EMAIL_TAKEN` when another account took the new address
   * meanwhile.
   */
  @Post('email/verify')
  @Public()
  @HttpCode(HttpStatus.NO_CONTENT)
  @ApiProblemResponses(400, 409)
  verifyEmail(@Body() body: TokenDto, @Client() client: ClientInfo): Promise<void> {
    return this.auth.verifyEmail(body.token, client);
  }

  /**
   * Sends a new verification email; earlier links stop working.
   *
   * @remarks 409 `EMAIL_ALREADY_VERIFIED` when it already is; 503 `MAIL_DELIVERY_FAILED` when the mail server
   * refuses the message. Strictly rate limited per IP.
   */
  @Post('email/resend')
  @Auth()
  @HttpCode(HttpStatus.ACCEPTED)
  @StrictRateLimit()
  @ApiProblemResponses(409, 503)
  resendVerification(@CurrentUser() user: AuthUser): Promise<void> {
    return this.auth.resendVerification(user);
  }

  /**
   * Emails a password reset link if the account exists; the answer is the same either way.
   *
   * @remarks Public. Always 202, whether or not an account has this email, so the route can't be used to find
   * accounts; the email (when sent) carries a single-use token valid for 1 hour by default. Strictly
   * rate limited per IP and per email.
   */
  @Post('password/forgot')
  @Public()
  @HttpCode(HttpStatus.ACCEPTED)
  @StrictRateLimit()
  @ApiProblemResponses(400)
  forgotPassword(@Body() body: ForgotPasswordDto, @Client() client: ClientInfo): void {
    this.auth.forgotPassword(body.email, client);
  }

  /**
   * Sets a new password with the emailed token; every session ends.
   *
   * @remarks Public: the emailed token is the credential (single-use, expiring; otherwise 400
   * `INVALID_OR_EXPIRED_TOKEN`). The new password follows the registration rules. Every session of the
   * account is revoked: sign in again. Strictly rate limited per IP.
   */
  @Post('password/reset')
  @Public()
  @HttpCode(HttpStatus.NO_CONTENT)
  @StrictRateLimit()
  @ApiProblemResponses(400)
  resetPassword(@Body() body: ResetPasswordDto, @Client() client: ClientInfo): Promise<void> {
    return this.auth.resetPassword(body.token, body.newPassword, client);
  }

  /**
   * Changes the password; every other session ends.
   *
   * @remarks Requires the current password (otherwise 400 `VALIDATION_FAILED` on `currentPassword`). The new
   * password follows the registration rules. Every other session of the account is revoked; this one
   * stays signed in.
   */
  @Post('password/change')
  @Auth()
  @HttpCode(HttpStatus.NO_CONTENT)
  @ApiProblemResponses(400)
  changePassword(
    @CurrentUser() user: AuthUser,
    @Body() body: ChangePasswordDto,
    @Client() client: ClientInfo,
  ): Promise<void> {
    return this.auth.changePassword(user, body.currentPassword, body.newPassword, client);
  }
}
