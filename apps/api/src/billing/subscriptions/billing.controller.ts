import { Body, Controller, Get, HttpCode, HttpStatus, Post, Query } from '@nestjs/common';
import { ApiTags } from '@nestjs/swagger';
import {
  ApiArrayResponse,
  ApiPaginatedResponse,
  ApiProblemResponses,
  CursorPageQueryDto,
  NoStore,
  SharedCache,
  type Page,
  type SharedCachePolicy,
} from '@app/common';
import { Idempotent } from '../../core/idempotency/idempotent.decorator.js';
import type { AuthUser } from '../../iam/auth-user.js';
import { ApiKeyScope } from '../../iam/decorators/api-key-scope.decorator.js';
import { Auth } from '../../iam/decorators/auth.decorator.js';
import { CurrentUser } from '../../iam/decorators/current-user.decorator.js';
import { Public } from '../../iam/decorators/public.decorator.js';
import { Permission } from '../../iam/permissions.js';
import { EntitlementsResponseDto } from '../entitlements/dto/entitlements-response.dto.js';
import { EntitlementsService } from '../entitlements/entitlements.service.js';
import { PLAN_RULES } from '../entitlements/plan-rules.js';
import { BillingService } from './billing.service.js';
import { InvoiceResponseDto } from './dto/invoice-response.dto.js';
import { ListSubscriptionsQueryDto } from './dto/list-subscriptions-query.dto.js';
import { PlanCodeDto } from './dto/plan-code.dto.js';
import { PlanResponseDto } from './dto/plan-response.dto.js';
import { RedirectResponseDto } from './dto/redirect-response.dto.js';
import { AdminSubscriptionResponseDto, SubscriptionResponseDto } from './dto/subscription-response.dto.js';
import { ProviderIdempotencyKey } from './provider-idempotency-key.decorator.js';

/** Browsers reuse the plans for a minute, CDNs for five: a plan change reaches every client within that. */
const PLANS_HTTP_CACHE: SharedCachePolicy = { maxAgeSeconds: 60, sharedMaxAgeSeconds: 300 };

@ApiTags('billing')
@Controller('billing')
export class BillingController {
  constructor(
    private readonly billing: BillingService,
    private readonly entitlementsService: EntitlementsService,
  ) {}

  /**
   * The plans on offer (public, cached).
   *
   * @remarks Public. The plans of `prisma/seed/plans.json`, in display order, with the features and limits each
   * grants. Cached (Redis when configured) and refreshed when plans change.
   */
  @Get('plans')
  @Public()
  @SharedCache(PLANS_HTTP_CACHE)
  @ApiArrayResponse(PlanResponseDto, PLAN_RULES.maxPlans, 'The plans, in display order.')
  listPlans(): Promise<PlanResponseDto[]> {
    return this.billing.listPlans();
  }

  /**
   * The caller's current (or most recent) subscription.
   *
   * @remarks 404 `NO_SUBSCRIPTION` when the caller never subscribed (they are on the free plan).
   */
  @Get('subscription')
  @Auth()
  @ApiKeyScope(Permission.BillingRead)
  @ApiProblemResponses(404)
  getSubscription(@CurrentUser() user: AuthUser): Promise<SubscriptionResponseDto> {
    return this.billing.getSubscription(user.id);
  }

  /**
   * Starts buying a plan: returns the provider's checkout URL to open in the browser.
   *
   * @remarks Open `url` in the browser: Stripe Checkout, or with the local provider a page this API serves
   * (single-use, expiring link). The subscription starts when the checkout completes (Stripe tells the
   * API through its webhook), with the plan's trial only for a user who never had one. 404 `PLAN_NOT_FOUND` for an unknown plan code, 409 `ALREADY_SUBSCRIBED`
   * when the caller has a live subscription (change its plan instead), 422 `PLAN_NOT_PURCHASABLE` for
   * the free plan or a retired one. With Stripe: 503 `BILLING_PROVIDER_UNAVAILABLE` when Stripe can't be
   * reached (retry), 422 `BILLING_PROVIDER_REJECTED` when it refuses the request. Honours `Idempotency-
   * Key`.
   */
  @Post('checkout')
  @Auth()
  @NoStore()
  @Idempotent()
  @HttpCode(HttpStatus.OK)
  @ApiProblemResponses(400, 404, 409, 422, 503)
  checkout(
    @CurrentUser() user: AuthUser,
    @Body() body: PlanCodeDto,
    @ProviderIdempotencyKey('checkout') idempotencyKey: string | undefined,
  ): Promise<RedirectResponseDto> {
    return this.billing.startCheckout(user.id, body.planCode, idempotencyKey);
  }

  /**
   * Returns the URL of the provider's customer portal (payment methods, invoices).
   *
   * @remarks With Stripe, a Customer Portal session of the caller (404 `NO_SUBSCRIPTION` before their first
   * checkout; 503/422 as for checkout); the local provider has no hosted portal and returns the web
   * app's billing page (`FRONTEND_URL/billing`). Honours `Idempotency-Key`.
   */
  @Post('portal')
  @Auth()
  @NoStore()
  @Idempotent()
  @HttpCode(HttpStatus.OK)
  @ApiProblemResponses(404, 422, 503)
  openPortal(@CurrentUser() user: AuthUser): Promise<RedirectResponseDto> {
    return this.billing.portalUrl(user.id);
  }

  /**
   * Switches the caller's subscription to another plan.
   *
   * @remarks The change takes effect at once and is invoiced at once, prorated to the second: the unused time of
   * the old price is credited, the rest of the period on the new price charged (a negative invoice is a
   * credit); a change to another interval starts a new period now. Out of a trial, the target plan's
   * terms apply: without a trial (or with a shorter one, already over) the trial ends now and the
   * plan's first period is invoiced in full; with one, the trial goes on no longer than the target's
   * own. Asking for the current plan changes nothing. 404 `NO_SUBSCRIPTION` without a live
   * subscription, `PLAN_NOT_FOUND` for an unknown plan; 409 `SUBSCRIPTION_CHANGED` when a concurrent
   * request changed the subscription first; 422 `PLAN_NOT_PURCHASABLE` for the free plan or a retired
   * one, `PLAN_CURRENCY_MISMATCH` for a plan billed in another currency; 503/422 from Stripe as for
   * checkout. Honours `Idempotency-Key`.
   */
  @Post('subscription/change')
  @Auth()
  @Idempotent()
  @HttpCode(HttpStatus.OK)
  @ApiProblemResponses(400, 404, 409, 422, 503)
  changePlan(
    @CurrentUser() user: AuthUser,
    @Body() body: PlanCodeDto,
    @ProviderIdempotencyKey('change') idempotencyKey: string | undefined,
  ): Promise<SubscriptionResponseDto> {
    return this.billing.changePlan(user.id, body.planCode, idempotencyKey);
  }

  /**
   * Cancels at the end of the current period; the plan stays until then.
   *
   * @remarks Sets `cancelAtPeriodEnd`; entitlements stay until `currentPeriodEnd`, then the caller is back on the
   * free plan. 404 `NO_SUBSCRIPTION` without a live subscription; 503/422 from Stripe as for checkout.
   * Honours `Idempotency-Key`.
   */
  @Post('subscription/cancel')
  @Auth()
  @Idempotent()
  @HttpCode(HttpStatus.OK)
  @ApiProblemResponses(404, 422, 503)
  cancelSubscription(
    @CurrentUser() user: AuthUser,
    @ProviderIdempotencyKey('cancel') idempotencyKey: string | undefined,
  ): Promise<SubscriptionResponseDto> {
    return this.billing.cancelAtPeriodEnd(user.id, idempotencyKey);
  }

  /**
   * Undoes a cancellation before the period ends.
   *
   * @remarks Clears `cancelAtPeriodEnd`: the subscription renews as before. 404 `NO_SUBSCRIPTION` without a live
   * subscription; 503/422 from Stripe as for checkout. Honours `Idempotency-Key`.
   */
  @Post('subscription/resume')
  @Auth()
  @Idempotent()
  @HttpCode(HttpStatus.OK)
  @ApiProblemResponses(404, 422, 503)
  resumeSubscription(
    @CurrentUser() user: AuthUser,
    @ProviderIdempotencyKey('resume') idempotencyKey: string | undefined,
  ): Promise<SubscriptionResponseDto> {
    return this.billing.resume(user.id, idempotencyKey);
  }

  /**
   * The caller's invoices, newest first.
   *
   * @remarks Cursor-paginated: pass `nextCursor` as `cursor` for the next page. Only the caller's own invoices.
   */
  @Get('invoices')
  @Auth()
  @ApiKeyScope(Permission.BillingRead)
  @NoStore()
  @ApiPaginatedResponse(InvoiceResponseDto)
  @ApiProblemResponses(400)
  listInvoices(@CurrentUser() user: AuthUser, @Query() query: CursorPageQueryDto): Promise<Page<InvoiceResponseDto>> {
    return this.billing.listInvoices(user.id, query);
  }

  /**
   * What the caller's plan grants now (the free plan's without a paid subscription).
   *
   * @remarks The features and limits of the live subscription's plan; past-due subscriptions keep them during the
   * grace period (`BILLING_PAST_DUE_GRACE_PERIOD`). A limit not listed is 0. Cached per user and
   * refreshed on every subscription change.
   */
  @Get('entitlements')
  @Auth()
  @ApiKeyScope(Permission.BillingRead)
  getEntitlements(@CurrentUser() user: AuthUser): Promise<EntitlementsResponseDto> {
    return this.entitlementsService.effective(user.id);
  }

  /**
   * Every subscription (admin), newest first, optionally of one status.
   *
   * @remarks Requires `billing:manage`. Cursor-paginated: pass `nextCursor` as `cursor` for the next page.
   */
  @Get('subscriptions')
  @Auth(Permission.BillingManage)
  @ApiPaginatedResponse(AdminSubscriptionResponseDto)
  @ApiProblemResponses(400)
  listSubscriptions(@Query() query: ListSubscriptionsQueryDto): Promise<Page<AdminSubscriptionResponseDto>> {
    return this.billing.listAllSubscriptions(query);
  }
}
