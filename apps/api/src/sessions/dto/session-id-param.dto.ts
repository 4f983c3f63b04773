import { IsUUID } from 'class-validator';

export class SessionIdParamDto {
  /** Session id, from `GET /v1/auth/sessions`. */
  @IsUUID()
  id: string;
}
