import { Body, Controller, HttpCode, HttpStatus, Post, Req, Res, UseGuards } from '@nestjs/common';
import { ApiBody, ApiOkResponse, ApiTags } from '@nestjs/swagger';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { ApiProblemResponses, NoStore } from '@app/common';
import { StrictRateLimit } from '../core/rate-limit/rate-limit.decorator.js';
import { sessionIdOf, type AuthUser, type ClientInfo } from '../iam/auth-user.js';
import { Auth } from '../iam/decorators/auth.decorator.js';
import { Client, CurrentUser } from '../iam/decorators/current-user.decorator.js';
import { Public } from '../iam/decorators/public.decorator.js';
import { SessionRevocationReason, SessionsService } from '../sessions/sessions.service.js';
import { UserResponseDto } from '../users/dto/user-response.dto.js';
import { UsersService } from '../users/users.service.js';
import { AuthService, type VerifiedCredentials } from './auth.service.js';
import { AuthTokensDto, LoginResponseDto } from './dto/auth-tokens.dto.js';
import { ChangePasswordDto } from './dto/change-password.dto.js';
import { ForgotPasswordDto } from './dto/forgot-password.dto.js';
import { LoginDto } from './dto/login.dto.js';
import { RefreshDto } from './dto/refresh.dto.js';
import { RegisterDto } from './dto/register.dto.js';
import { ResetPasswordDto } from './dto/reset-password.dto.js';
import { TokenDto } from './dto/token.dto.js';
import { LocalAuthGuard } from './guards/local-auth.guard.js';
import { DEVICE_COOKIE, deviceCookieOptions } from './lockout/device-tokens.js';

@ApiTags('auth')
@Controller('auth')
export class AuthController {
  constructor(
    private readonly auth: AuthService,
    private readonly sessions: SessionsService,
    private readonly users: UsersService,
  ) {}

  /**
   * Creates an account and emails a verification link.
   *
   * @remarks Public. The email is normalised (NFKC, trimmed, compared case-insensitively), must not contain
   * invisible characters (zero-width, soft hyphen...: 400) and must be unused (409
   * `USER_EMAIL_TAKEN`). The password must be 8-128 characters, not a common password and not built from
   * the email or name (400 `VALIDATION_FAILED` lists every problem). The account can sign in at once;
   * `emailVerified` turns true once the emailed token is posted to `/v1/auth/email/verify`. Strictly
   * rate limited per IP and per email.
   */
  @Post('register')
  @Public()
  @StrictRateLimit()
  @ApiProblemResponses(400, 409)
  register(@Body() body: RegisterDto): Promise<UserResponseDto> {
    return this.auth.register(body);
  }

  /**
   * Signs in with email and password, starting a session (one per device).
   *
   * @remarks Public. An unknown email and a wrong password get the same 401 `INVALID_CREDENTIALS`, in about the
   * same time; a disabled account gets 403. Returns a short-lived access token (send it as
   * `Authorization: Bearer`), a single-use refresh token for `/v1/auth/refresh`, and a `deviceToken`,
   * also set as the `device_token` cookie (httpOnly, Secure, SameSite=Strict, path `/v1/auth`).
   *
   * Failed sign-ins lock out guessing, not the owner (OWASP's device cookies). Only failures count
   * (a successful sign-in gives its attempt back), over `LOGIN_LOCKOUT_WINDOW` (15 min by default):
   * a device that presents its device token (the cookie, or `deviceToken` in the body) is locked
   * after `LOGIN_LOCKOUT_CLIENT_FAILURES` (10) failures of its own, whatever happens elsewhere.
   * Clients without one are locked after 10 failures per account and address, and all of them
   * together after `LOGIN_LOCKOUT_ACCOUNT_FAILURES` (100) failures on the account. A locked attempt
   * gets 429 `LOGIN_LOCKED_OUT` with `Retry-After`, before the password is checked, and the same
   * answer whether or not the account exists. Independently, every attempt counts against the
   * strict per-IP request limit (429 `RATE_LIMITED`).
   */
  @Post('login')
  @Public()
  @NoStore()
  @UseGuards(LocalAuthGuard)
  @HttpCode(HttpStatus.OK)
  @StrictRateLimit({
    perAccount: false,
    description:
      'Too many failed sign-ins for this account from this client, or from all clients without a device token (`LOGIN_LOCKED_OUT`), or too many attempts from this IP (`RATE_LIMITED`). Retry after the seconds in `Retry-After`.',
  })
  @ApiBody({ type: LoginDto })
  @ApiOkResponse({
    type: LoginResponseDto,
    headers: {
      'Set-Cookie': {
        description: `The device token as the \`${DEVICE_COOKIE}\` cookie (\`HttpOnly; Secure; SameSite=Strict; Path=/v1/auth\`), sent back on the next sign-ins.`,
        schema: { type: 'string', maxLength: 256, pattern: `^${DEVICE_COOKIE}=` },
      },
    },
  })
  @ApiProblemResponses(400, 401, 403)
  async login(
    @Req() request: FastifyRequest & { user: VerifiedCredentials },
    @Res({ passthrough: true }) reply: FastifyReply,
    @Client() client: ClientInfo,
  ): Promise<LoginResponseDto> {
    const { tokens, device } = await this.auth.login(request.user, client);
    reply.setCookie(DEVICE_COOKIE, device.token, deviceCookieOptions(device.maxAgeSeconds));
    return { ...tokens, deviceToken: device.token };
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
    return this.sessions.refresh(body.refreshToken, client);
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
    return this.sessions.revoke(user.id, sessionIdOf(user), SessionRevocationReason.Logout, client);
  }

  /**
   * Ends every session of the caller, this one included.
   *
   * @remarks Every refresh token and access token of the caller stops working at once, on every device, and a
   * pending email change is cancelled.
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
    return this.users.verifyEmail(body.token, client);
  }

  /**
   * Cancels an email change with the token mailed to the old address; every session ends.
   *
   * @remarks Public: the emailed token is the credential (single-use, expiring like verification links;
   * otherwise 400 `INVALID_OR_EXPIRED_TOKEN`). A pending change is dropped (its confirmation link stops
   * working); a change confirmed since is reverted, and the account gets the old address back. The
   * old address stays reserved while the link is valid (no other account can register or move to
   * it); should another account have it anyway, the answer is 409 `USER_EMAIL_TAKEN` and the token
   * stays usable. Later changes can't retire the link: cancel links mailed for changes made after it
   * stop working when it is used. Either way every session of the account is revoked and the emailed
   * links in flight (password reset, verification) stop working, since whoever asked for the change
   * may hold a session: sign in again, and reset the password if the change was not yours. Strictly
   * rate limited per IP.
   */
  @Post('email/cancel-change')
  @Public()
  @HttpCode(HttpStatus.NO_CONTENT)
  @StrictRateLimit()
  @ApiProblemResponses(400, 409)
  cancelEmailChange(@Body() body: TokenDto, @Client() client: ClientInfo): Promise<void> {
    return this.users.cancelEmailChange(body.token, client);
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
    return this.users.sendEmailVerification(user.id);
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
   * `INVALID_OR_EXPIRED_TOKEN`, also when the account's email is no longer the address the link was sent
   * to). The new password follows the registration rules. Every session of the account is revoked, every
   * other reset link stops working and a pending email change is cancelled: sign in again. Strictly rate
   * limited per IP.
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
   * password follows the registration rules. Every other session of the account is revoked (this one
   * stays signed in), every reset link stops working and a pending email change is cancelled. Wrong
   * current passwords count per account as on `PATCH /v1/users/me`: too many are 429
   * `REAUTHENTICATION_LOCKED_OUT` with `Retry-After`.
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
