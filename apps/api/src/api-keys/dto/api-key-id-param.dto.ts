import { IsUUID } from 'class-validator';

export class ApiKeyIdParamDto {
  /** API key id, from `GET /v1/users/me/api-keys`. */
  @IsUUID()
  id: string;
}
