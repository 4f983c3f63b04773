import { Body, Controller, HttpCode, HttpStatus, Post, Req, UseGuards } from '@nestjs/common';
import { ApiBody, ApiTags } from '@nestjs/swagger';
import type { FastifyRequest } from 'fastify';
import { ApiProblemResponses } from '@app/common';
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

  /** Creates an account and emails a verification link. */
  @Post('register')
  @Public()
  @StrictRateLimit()
  @ApiProblemResponses(400, 409)
  async register(@Body() body: RegisterDto): Promise<UserResponseDto> {
    return toUserResponse(await this.auth.register(body));
  }

  /** Signs in with email and password, starting a session (one per device). */
  @Post('login')
  @Public()
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

  /** Exchanges a refresh token for new tokens. Presenting a used token revokes its session. */
  @Post('refresh')
  @Public()
  @HttpCode(HttpStatus.OK)
  @StrictRateLimit()
  @ApiProblemResponses(400, 401)
  refresh(@Body() body: RefreshDto, @Client() client: ClientInfo): Promise<AuthTokensDto> {
    return this.auth.refresh(body.refreshToken, client);
  }

  /** Ends the session of the access token used: its refresh token and access tokens stop working. */
  @Post('logout')
  @Auth()
  @HttpCode(HttpStatus.NO_CONTENT)
  logout(@CurrentUser() user: AuthUser, @Client() client: ClientInfo): Promise<void> {
    return this.auth.logout(user, client);
  }

  /** Ends every session of the caller, this one included. */
  @Post('logout-all')
  @Auth()
  @HttpCode(HttpStatus.NO_CONTENT)
  logoutAll(@CurrentUser() user: AuthUser, @Client() client: ClientInfo): Promise<void> {
    return this.auth.logoutAll(user, client);
  }

  /** Confirms an email address (or an email change) with the emailed token. */
  @Post('email/verify')
  @Public()
  @HttpCode(HttpStatus.NO_CONTENT)
  @ApiProblemResponses(400, 409)
  verifyEmail(@Body() body: TokenDto, @Client() client: ClientInfo): Promise<void> {
    return this.auth.verifyEmail(body.token, client);
  }

  /** Sends a new verification email; earlier links stop working. */
  @Post('email/resend')
  @Auth()
  @HttpCode(HttpStatus.ACCEPTED)
  @StrictRateLimit()
  @ApiProblemResponses(409, 503)
  resendVerification(@CurrentUser() user: AuthUser): Promise<void> {
    return this.auth.resendVerification(user);
  }

  /** Emails a password reset link if the account exists; the answer is the same either way. */
  @Post('password/forgot')
  @Public()
  @HttpCode(HttpStatus.ACCEPTED)
  @StrictRateLimit()
  @ApiProblemResponses(400)
  forgotPassword(@Body() body: ForgotPasswordDto, @Client() client: ClientInfo): void {
    this.auth.forgotPassword(body.email, client);
  }

  /** Sets a new password with the emailed token; every session ends. */
  @Post('password/reset')
  @Public()
  @HttpCode(HttpStatus.NO_CONTENT)
  @StrictRateLimit()
  @ApiProblemResponses(400)
  resetPassword(@Body() body: ResetPasswordDto, @Client() client: ClientInfo): Promise<void> {
    return this.auth.resetPassword(body.token, body.newPassword, client);
  }

  /** Changes the password; every other session ends. */
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
