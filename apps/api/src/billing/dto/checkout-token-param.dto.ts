import { Matches } from 'class-validator';

export class CheckoutTokenParamDto {
  /** The token of a local checkout link. */
  @Matches(/^[A-Za-z0-9_-]{43}$/, { message: 'token must be a checkout link token' })
  token: string;
}
