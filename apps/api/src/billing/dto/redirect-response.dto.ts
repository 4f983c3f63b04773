/** Where to send the user's browser. */
export class RedirectResponseDto {
  url: string;
}
