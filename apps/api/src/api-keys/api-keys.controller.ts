import { Body, Controller, Delete, Get, HttpCode, HttpStatus, Param, Post } from '@nestjs/common';
import { ApiTags } from '@nestjs/swagger';
import { ApiArrayResponse, ApiProblemResponses, NoStore } from '@app/common';
import type { AuthUser, ClientInfo } from '../iam/auth-user.js';
import { Auth } from '../iam/decorators/auth.decorator.js';
import { Client, CurrentUser } from '../iam/decorators/current-user.decorator.js';
import { ApiKeysService } from './api-keys.service.js';
import { ApiKeyIdParamDto } from './dto/api-key-id-param.dto.js';
import { ApiKeyResponseDto, CreatedApiKeyResponseDto, MAX_LISTED_API_KEYS } from './dto/api-key-response.dto.js';
import { CreateApiKeyDto } from './dto/create-api-key.dto.js';

/** The caller's API keys; managed with an access token only (an API key is refused here: 403 `API_KEY_NOT_ACCEPTED`). */
@ApiTags('api-keys')
@Auth()
@Controller('users/me/api-keys')
export class ApiKeysController {
  constructor(private readonly apiKeys: ApiKeysService) {}

  /**
   * Creates an API key for a machine client; the key is in this answer only.
   *
   * @remarks The key (`nsk_<publicId>_<secret>`) authenticates as the caller, limited to `scopes`, as
   * `X-API-Key: <key>` or `Authorization: Bearer <key>`, on the routes that list the `apiKey` security
   * scheme. Store it now: only its SHA-256 is kept, and no other answer shows it. Every scope must be
   * held by the caller's role (400 `API_KEY_SCOPE_NOT_HELD`); `expiresInDays` is at most
   * `API_KEY_MAX_LIFETIME` (365 days by default; 400 `VALIDATION_FAILED`). At most `API_KEY_MAX_PER_USER`
   * (10) active keys per user (409 `API_KEY_LIMIT_REACHED`). Recorded as `API_KEY_CREATED` in the
   * security event log.
   */
  @Post()
  @NoStore()
  @ApiProblemResponses(400, 409)
  create(
    @CurrentUser() user: AuthUser,
    @Body() body: CreateApiKeyDto,
    @Client() client: ClientInfo,
  ): Promise<CreatedApiKeyResponseDto> {
    return this.apiKeys.create(user, body, client);
  }

  /**
   * The caller's active API keys, newest first, without their secret.
   *
   * @remarks Revoked and expired keys are left out. `lastUsedAt` is written at most once per
   * `API_KEY_LAST_USED_INTERVAL` (1 minute by default).
   */
  @Get()
  @ApiArrayResponse(ApiKeyResponseDto, MAX_LISTED_API_KEYS, 'The active API keys, newest first.')
  list(@CurrentUser() user: AuthUser): Promise<ApiKeyResponseDto[]> {
    return this.apiKeys.listActive(user.id);
  }

  /**
   * Revokes one of the caller's API keys: it stops working at once.
   *
   * @remarks Only the caller's own keys can be revoked: another user's key id is answered 404, exactly like an
   * unknown or already revoked one. Recorded as `API_KEY_REVOKED` in the security event log.
   */
  @Delete(':id')
  @HttpCode(HttpStatus.NO_CONTENT)
  @ApiProblemResponses(400, 404)
  async revoke(
    @CurrentUser() user: AuthUser,
    @Param() params: ApiKeyIdParamDto,
    @Client() client: ClientInfo,
  ): Promise<void> {
    await this.apiKeys.revoke(user, params.id, client);
  }
}
