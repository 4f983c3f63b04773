import { IsString, Length } from 'class-validator';

export class TokenDto {
  /** The token received by email. */
  @IsString()
  @Length(1, 512)
  token: string;
}
