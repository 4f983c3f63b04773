/** Stripe's webhook event was received (and applied, unless it is ignored or a duplicate). */
export class WebhookAckResponseDto {
  received: boolean;
  /** Set when this event was applied before: nothing changed this time. */
  duplicate?: boolean;
}
