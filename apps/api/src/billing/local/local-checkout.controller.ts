import { Controller, Get, Header, HttpCode, HttpStatus, Param, Post } from '@nestjs/common';
import { ApiOkResponse, ApiProduces, ApiTags } from '@nestjs/swagger';
import { ApiProblemResponses, NoStore } from '@app/common';
import { AppConfig } from '@app/config';
import { Public } from '../../iam/decorators/public.decorator.js';
import { escapeHtml } from '../../mail/mail-templates.js';
import { CheckoutTokenParamDto } from './dto/checkout-token-param.dto.js';
import { LocalCheckoutService } from './local-checkout.service.js';

/** The pages are small: a title, the plan and a button (the bound covers the longest names and URLs). */
const PAGE_MAX_LENGTH = 65_536;

const ApiHtmlPage = (description: string) =>
  ApiOkResponse({ description, content: { 'text/html': { schema: { type: 'string', maxLength: PAGE_MAX_LENGTH } } } });

function page(title: string, body: string): string {
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width">
<title>${escapeHtml(title)}</title><style>body{font-family:system-ui,sans-serif;max-width:32rem;margin:4rem auto;padding:0 1rem}
button{font-size:1rem;padding:.6rem 1.2rem}</style></head><body>${body}</body></html>`;
}

function price(cents: number, currency: string): string {
  return `${(cents / 100).toFixed(2)} ${currency.toUpperCase()}`;
}

/**
 * The local provider's checkout page, opened in a browser from the URL `POST /v1/billing/checkout`
 * returned. The link's token is the credential (no bearer header in a browser); it is single-use
 * and expires. Opening it shows the plan; confirming subscribes at once.
 */
@ApiTags('billing')
@Public()
@Controller('billing/local-checkout')
export class LocalCheckoutController {
  constructor(
    private readonly checkout: LocalCheckoutService,
    private readonly config: AppConfig,
  ) {}

  /**
   * The confirmation page of a local checkout link (HTML).
   *
   * @remarks For browsers, local provider only: the link from `POST /v1/billing/checkout` carries its own token
   * (single-use, expiring after `LOCAL_CHECKOUT_TTL`), so no bearer header is needed. Shows the plan and
   * a button that posts to the same URL; the trial is offered only to a user who never had one. 404
   * `CHECKOUT_LINK_INVALID` for an unknown, used or expired link; 422 `PLAN_NOT_PURCHASABLE` when the
   * plan was retired since the link was issued.
   */
  @Get(':token')
  @Header('content-type', 'text/html; charset=utf-8')
  @NoStore()
  @ApiProduces('text/html')
  @ApiHtmlPage('The page: the plan, its price and a Subscribe button.')
  @ApiProblemResponses(400, 404, 422)
  async showPage(@Param() params: CheckoutTokenParamDto): Promise<string> {
    const { plan, trialDays } = await this.checkout.describe(params.token);
    return page(
      `Subscribe to ${plan.name}`,
      `<h1>Subscribe to ${escapeHtml(plan.name)}</h1>
<p>${escapeHtml(price(plan.priceCents, plan.currency))} per ${plan.interval === 'YEAR' ? 'year' : 'month'}${
        trialDays > 0 ? `, after a ${trialDays}-day free trial` : ''
      }.</p>
<p>This is the local billing provider: no payment is taken.</p>
<form method="post"><button type="submit">Subscribe</button></form>`,
    );
  }

  /**
   * Confirms a local checkout: the subscription starts at once (HTML).
   *
   * @remarks For browsers, local provider only: the form of the confirmation page posts here. Uses up the link's
   * token; starts the subscription, trialing when the plan has a trial and the user never had one
   * (trials are once per user), else active with its first invoice. 404 `CHECKOUT_LINK_INVALID` for
   * an unknown, used or expired link; 409 `ALREADY_SUBSCRIBED` when the user subscribed meanwhile; 422
   * `PLAN_NOT_PURCHASABLE` when the plan was retired since the link was issued (the link stays unused).
   */
  @Post(':token')
  @HttpCode(HttpStatus.OK)
  @Header('content-type', 'text/html; charset=utf-8')
  @NoStore()
  @ApiProduces('text/html')
  @ApiHtmlPage('The confirmation: the subscription and a link back to the app.')
  @ApiProblemResponses(400, 404, 409, 422)
  async confirm(@Param() params: CheckoutTokenParamDto): Promise<string> {
    const subscription = await this.checkout.complete(params.token);
    const back = `${this.config.app.frontendUrl}/billing`;
    return page(
      'Subscribed',
      `<h1>You are subscribed to ${escapeHtml(subscription.plan.name)}</h1>
<p>Status: ${escapeHtml(subscription.status.toLowerCase())}, until ${escapeHtml(subscription.currentPeriodEnd.toISOString().slice(0, 10))}.</p>
<p><a href="${escapeHtml(back)}">Back to the app</a></p>`,
    );
  }
}
