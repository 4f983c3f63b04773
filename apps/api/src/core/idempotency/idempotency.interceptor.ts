import { Injectable, Logger, type CallHandler, type ExecutionContext, type NestInterceptor } from '@nestjs/common';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { catchError, from, mergeMap, of, type Observable } from 'rxjs';
import { assertSafeInput, DomainError, PROBLEM_CONTENT_TYPE, toProblem } from '@app/common';
import type { AuthUser } from '../../iam/auth-user.js';
import { IDEMPOTENT_REPLAYED_HEADER, readIdempotencyKey } from './idempotency-key.js';
import { IdempotencyService, type IdempotencyKeyOf, type StoredResponse } from './idempotency.service.js';
import { requestFingerprint } from './request-fingerprint.js';

type IdempotentHttpRequest = FastifyRequest & { user?: AuthUser };

/**
 * Applied by `@Idempotent()`. Without an Idempotency-Key header the request runs as usual. With
 * one, the first request claims the key, runs, and its response is stored; an identical request
 * later gets that response again (with `Idempotent-Replayed: true`) and runs nothing.
 *
 * What is stored: successes, and domain errors of 4xx status but 429, which would be the same
 * answer again (the draft's non-retryable outcomes). Anything else (5xx, unexpected errors, rate
 * limits) releases the key, so the client may retry with it.
 */
@Injectable()
export class IdempotencyInterceptor implements NestInterceptor {
  private readonly logger = new Logger(IdempotencyInterceptor.name);

  constructor(private readonly idempotency: IdempotencyService) {}

  async intercept(context: ExecutionContext, next: CallHandler): Promise<Observable<unknown>> {
    const request = context.switchToHttp().getRequest<IdempotentHttpRequest>();
    const key = readIdempotencyKey(request.headers, request.raw.rawHeaders);
    if (key === undefined) return next.handle();
    const userId = request.user?.id;
    if (!userId) throw new Error('@Idempotent() used on a route without authentication');

    const method = request.method;
    const path = request.url.split('?', 1)[0] ?? '/';
    // Before the validation pipe sees it: too deep a body would overflow the fingerprint's walk.
    assertSafeInput(request.body);
    const claim = await this.idempotency.claim({
      userId,
      key,
      method,
      path,
      fingerprint: requestFingerprint(method, path, request.body),
    });
    if (claim.kind === 'replay') return of(replayOf(claim.response));

    const { recordId } = claim;
    const owner: IdempotencyKeyOf = { userId, key };
    const reply = context.switchToHttp().getResponse<FastifyReply>();
    return next.handle().pipe(
      catchError((error: unknown) => from(this.failed(owner, recordId, error, String(request.id), path))),
      mergeMap(async (body: unknown) => {
        // Nest sets the route's status (`@HttpCode()`, else 201 for POST) before the interceptors
        // run: the reply carries the status this body is sent with.
        await this.store(owner, recordId, {
          status: reply.statusCode,
          body: body === undefined ? null : JSON.parse(JSON.stringify(body)),
        });
        return body;
      }),
    );
  }

  /** Stores a non-retryable client error for replay, releases the key otherwise; rethrows either way. */
  private async failed(
    owner: IdempotencyKeyOf,
    recordId: string,
    error: unknown,
    requestId: string,
    path: string,
  ): Promise<never> {
    const problem = toProblem(error, requestId, path);
    if (error instanceof DomainError && problem.status >= 400 && problem.status < 500 && problem.status !== 429) {
      // The same body the exception filter sends now, built by the same function.
      await this.store(owner, recordId, { status: problem.status, body: problem.body });
    } else {
      await this.idempotency.release(owner.userId, recordId).catch((releaseError: unknown) => {
        this.logger.error({ err: releaseError, recordId }, 'Could not release an idempotency key');
      });
    }
    throw error;
  }

  /**
   * The operation has happened: a failure to record it must not turn its answer into an error.
   * The record stays in progress (409 for retries) until it counts as abandoned.
   */
  private async store(owner: IdempotencyKeyOf, recordId: string, response: StoredResponse): Promise<void> {
    try {
      await this.idempotency.complete(owner, recordId, response);
    } catch (error) {
      this.logger.error({ err: error, recordId }, 'Could not store the response of an idempotent request');
    }
  }
}

/** The stored response as a web Response: Nest sends its status and headers as they are. */
function replayOf({ status, body }: StoredResponse): Response {
  const headers = new Headers({ [IDEMPOTENT_REPLAYED_HEADER]: 'true' });
  if (body === null || body === undefined) return new Response(null, { status, headers });
  const text = JSON.stringify(body);
  headers.set('content-type', `${status >= 400 ? PROBLEM_CONTENT_TYPE : 'application/json'}; charset=utf-8`);
  headers.set('content-length', String(Buffer.byteLength(text, 'utf8')));
  return new Response(text, { status, headers });
}
