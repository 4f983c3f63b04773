import { Controller, Headers, HttpCode, HttpStatus, Post, Req, type RawBodyRequest } from '@nestjs/common';
import { ApiBody, ApiHeader, ApiSecurity, ApiTags } from '@nestjs/swagger';
import type { FastifyRequest } from 'fastify';
import { ApiProblemResponses } from '@app/common';
import { STRIPE_SIGNATURE_SCHEME } from '../../core/openapi/openapi.js';
import { NotRateLimited } from '../../core/rate-limit/rate-limit.decorator.js';
import { Public } from '../../iam/decorators/public.decorator.js';
import { WebhookAckResponseDto } from './dto/webhook-ack-response.dto.js';
import { STRIPE_SIGNATURE, STRIPE_SIGNATURE_MAX_LENGTH } from './stripe-events.js';
import { StripeWebhooksService } from './stripe-webhooks.service.js';

/** The envelope of every Stripe event; `data.object` depends on `type`. */
const STRIPE_EVENT_ENVELOPE_PROPERTIES = {
  id: { type: 'string', minLength: 1, maxLength: 255 },
  object: { type: 'string', enum: ['event'] },
  type: { type: 'string', minLength: 1, maxLength: 255 },
  created: { type: 'integer', format: 'int64', minimum: 0, maximum: 253_402_300_799 },
  data: { type: 'object', properties: { object: { type: 'object' } } },
};

/**
 * Stripe's calls to us. Authenticated by the `Stripe-Signature` of the raw body (the app keeps raw
 * bodies: `rawBody: true`), not by a token; Stripe's bursts are not counted by the rate limit.
 */
@ApiTags('billing')
@Public()
@NotRateLimited()
@Controller('billing/webhooks')
export class StripeWebhooksController {
  constructor(private readonly webhooks: StripeWebhooksService) {}

  /**
   * Receives a Stripe webhook event (enabled by STRIPE_WEBHOOK_SECRET; 404 without it).
   *
   * @remarks For Stripe only. The `Stripe-Signature` of the raw body is verified with the signing secret (5
   * minutes of tolerance): unsigned, tampered or stale deliveries are 400 `WEBHOOK_SIGNATURE_INVALID`.
   * Each event id is applied once (a duplicate is acknowledged with `duplicate: true`), and an older
   * event never overwrites newer subscription state, so deliveries may arrive twice, late or out of
   * order. Not rate limited.
   */
  @Post('stripe')
  @HttpCode(HttpStatus.OK)
  @ApiSecurity(STRIPE_SIGNATURE_SCHEME)
  @ApiHeader({
    name: 'Stripe-Signature',
    required: true,
    description: "Stripe's signature of the raw body, with its timestamp: `t=<unix time>,v1=<hex HMAC>[,...]`.",
    schema: { type: 'string', maxLength: STRIPE_SIGNATURE_MAX_LENGTH, pattern: STRIPE_SIGNATURE.source },
  })
  @ApiBody({
    description: 'A Stripe event, byte for byte as Stripe signed it.',
    schema: { type: 'object', required: ['id', 'type'], properties: STRIPE_EVENT_ENVELOPE_PROPERTIES },
  })
  @ApiProblemResponses(400, 404, 503)
  receive(
    @Req() request: RawBodyRequest<FastifyRequest>,
    @Headers('stripe-signature') signature: string | undefined,
  ): Promise<WebhookAckResponseDto> {
    return this.webhooks.receive(request.rawBody, signature);
  }
}
