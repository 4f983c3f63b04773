import { Body, Controller, Get, HttpCode, HttpStatus, Post, Query } from '@nestjs/common';
import { ApiTags } from '@nestjs/swagger';
import { ApiPaginatedResponse, ApiProblemResponses, CursorPageQueryDto, type Page } from '@app/common';
import type { AuthUser } from '../auth/auth-user.js';
import { Auth } from '../auth/decorators/auth.decorator.js';
import { CurrentUser } from '../auth/decorators/current-user.decorator.js';
import { Public } from '../auth/decorators/public.decorator.js';
import { Permission } from '../auth/permissions.js';
import { UsersService } from '../users/users.service.js';
import { BillingService } from './billing.service.js';
import {
  toAdminSubscriptionResponse,
  toInvoiceResponse,
  toPlanResponse,
  toSubscriptionResponse,
} from './billing.responses.js';
import { EntitlementsResponseDto } from './dto/entitlements-response.dto.js';
import { InvoiceResponseDto } from './dto/invoice-response.dto.js';
import { ListSubscriptionsQueryDto } from './dto/list-subscriptions-query.dto.js';
import { PlanCodeDto } from './dto/plan-code.dto.js';
import { PlanResponseDto } from './dto/plan-response.dto.js';
import { RedirectResponseDto } from './dto/redirect-response.dto.js';
import { AdminSubscriptionResponseDto, SubscriptionResponseDto } from './dto/subscription-response.dto.js';
import { EntitlementsService } from './entitlements.service.js';
import { IdempotencyKey } from './idempotency/idempotency-key.decorator.js';
import { Idempotent } from './idempotency/idempotent.decorator.js';

@ApiTags('billing')
@Controller('billing')
export class BillingController {
  constructor(
    private readonly billing: BillingService,
    private readonly entitlementsService: EntitlementsService,
    private readonly users: UsersService,
  ) {}

  /** The plans on offer (public, cached). */
  @Get('plans')
  @Public()
  async listPlans(): Promise<PlanResponseDto[]> {
    return (await this.billing.listPlans()).map(toPlanResponse);
  }

  /** The caller's current (or most recent) subscription. */
  @Get('subscription')
  @Auth()
  @ApiProblemResponses(404)
  async getSubscription(@CurrentUser() user: AuthUser): Promise<SubscriptionResponseDto> {
    return toSubscriptionResponse(await this.billing.getSubscription(user.id));
  }

  /** Starts buying a plan: returns the provider's checkout URL to open in the browser. */
  @Post('checkout')
  @Auth()
  @Idempotent()
  @HttpCode(HttpStatus.OK)
  @ApiProblemResponses(400, 404, 409, 422)
  async checkout(
    @CurrentUser() caller: AuthUser,
    @Body() body: PlanCodeDto,
    @IdempotencyKey('checkout') idempotencyKey: string | undefined,
  ): Promise<RedirectResponseDto> {
    const user = await this.users.getMe(caller.id);
    return this.billing.startCheckout(
      { id: user.id, email: user.email, name: user.name },
      body.planCode,
      idempotencyKey,
    );
  }

  /** Returns the URL of the provider's customer portal (payment methods, invoices). */
  @Post('portal')
  @Auth()
  @Idempotent()
  @HttpCode(HttpStatus.OK)
  openPortal(@CurrentUser() user: AuthUser): Promise<RedirectResponseDto> {
    return this.billing.portalUrl(user.id);
  }

  /** Switches the caller's subscription to another plan. */
  @Post('subscription/change')
  @Auth()
  @Idempotent()
  @HttpCode(HttpStatus.OK)
  @ApiProblemResponses(400, 404, 422)
  async changePlan(
    @CurrentUser() user: AuthUser,
    @Body() body: PlanCodeDto,
    @IdempotencyKey('change') idempotencyKey: string | undefined,
  ): Promise<SubscriptionResponseDto> {
    return toSubscriptionResponse(await this.billing.changePlan(user.id, body.planCode, idempotencyKey));
  }

  /** Cancels at the end of the current period; the plan stays until then. */
  @Post('subscription/cancel')
  @Auth()
  @Idempotent()
  @HttpCode(HttpStatus.OK)
  @ApiProblemResponses(404)
  async cancelSubscription(
    @CurrentUser() user: AuthUser,
    @IdempotencyKey('cancel') idempotencyKey: string | undefined,
  ): Promise<SubscriptionResponseDto> {
    return toSubscriptionResponse(await this.billing.cancelAtPeriodEnd(user.id, idempotencyKey));
  }

  /** Undoes a cancellation before the period ends. */
  @Post('subscription/resume')
  @Auth()
  @Idempotent()
  @HttpCode(HttpStatus.OK)
  @ApiProblemResponses(404)
  async resumeSubscription(
    @CurrentUser() user: AuthUser,
    @IdempotencyKey('resume') idempotencyKey: string | undefined,
  ): Promise<SubscriptionResponseDto> {
    return toSubscriptionResponse(await this.billing.resume(user.id, idempotencyKey));
  }

  /** The caller's invoices, newest first. */
  @Get('invoices')
  @Auth()
  @ApiPaginatedResponse(InvoiceResponseDto)
  @ApiProblemResponses(400)
  async listInvoices(
    @CurrentUser() user: AuthUser,
    @Query() query: CursorPageQueryDto,
  ): Promise<Page<InvoiceResponseDto>> {
    const page = await this.billing.listInvoices(user.id, query);
    return { items: page.items.map(toInvoiceResponse), nextCursor: page.nextCursor };
  }

  /** What the caller's plan grants now (the free plan's without a paid subscription). */
  @Get('entitlements')
  @Auth()
  getEntitlements(@CurrentUser() user: AuthUser): Promise<EntitlementsResponseDto> {
    return this.entitlementsService.effective(user.id);
  }

  /** Every subscription (admin), newest first, optionally of one status. */
  @Get('subscriptions')
  @Auth(Permission.BillingManage)
  @ApiPaginatedResponse(AdminSubscriptionResponseDto)
  @ApiProblemResponses(400)
  async listSubscriptions(@Query() query: ListSubscriptionsQueryDto): Promise<Page<AdminSubscriptionResponseDto>> {
    const page = await this.billing.listAllSubscriptions(query);
    return { items: page.items.map(toAdminSubscriptionResponse), nextCursor: page.nextCursor };
  }
}
