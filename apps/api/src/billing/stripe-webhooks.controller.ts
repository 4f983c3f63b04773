import { Controller, Headers, HttpCode, HttpStatus, Post, Req, type RawBodyRequest } from '@nestjs/common';
import { ApiBody, ApiHeader, ApiTags } from '@nestjs/swagger';
import { SkipThrottle } from '@nestjs/throttler';
import type { FastifyRequest } from 'fastify';
import { ApiProblemResponses } from '@app/common';
import { Public } from '../auth/decorators/public.decorator.js';
import { WebhookAckResponseDto } from './dto/webhook-ack-response.dto.js';
import { StripeWebhooksService } from './stripe-webhooks.service.js';

/**
 * Stripe's calls to us. Authenticated by the `Stripe-Signature` of the raw body (the app keeps raw
 * bodies: `rawBody: true`), not by a token; Stripe's bursts are not counted by the rate limit.
 */
@ApiTags('billing')
@Public()
@SkipThrottle()
@Controller('billing/webhooks')
export class StripeWebhooksController {
  constructor(private readonly webhooks: StripeWebhooksService) {}

  /** Receives a Stripe webhook event (enabled by STRIPE_WEBHOOK_SECRET; 404 without it). */
  @Post('stripe')
  @HttpCode(HttpStatus.OK)
  @ApiHeader({
    name: 'Stripe-Signature',
    required: true,
    description: "Stripe's signature of the raw body, with its timestamp.",
  })
  @ApiBody({ description: 'A Stripe event, byte for byte as Stripe signed it.', schema: { type: 'object' } })
  @ApiProblemResponses(400, 404, 503)
  receive(
    @Req() request: RawBodyRequest<FastifyRequest>,
    @Headers('stripe-signature') signature: string | undefined,
  ): Promise<WebhookAckResponseDto> {
    return this.webhooks.receive(request.rawBody, signature);
  }
}
