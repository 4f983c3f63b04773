import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { lastValueFrom, throwError } from 'rxjs';
import { DomainError, MAX_INPUT_DEPTH, toProblem, ValidationFailedError } from '@app/common';
import { makeCallHandler, makeHttpContext, silenceLogger } from '../../../../../test/utils/builders.js';
import { IdempotencyKeyInProgressError } from './idempotency.errors.js';
import { IdempotencyInterceptor } from './idempotency.interceptor.js';
import type { IdempotencyService } from './idempotency.service.js';
import { requestFingerprint } from './request-fingerprint.js';

const OWNER = { userId: 'user-1', key: 'key-1' };

function makeIdempotency() {
  return {
    claim: vi.fn<IdempotencyService['claim']>().mockResolvedValue({ kind: 'claimed', recordId: 'record-1' }),
    complete: vi.fn<IdempotencyService['complete']>().mockResolvedValue(undefined),
    release: vi.fn<IdempotencyService['release']>().mockResolvedValue(undefined),
  };
}

/** An authenticated POST with an Idempotency-Key (unless `headers` says otherwise), and its reply. */
function makeRequestContext({
  headers = { 'idempotency-key': 'key-1' } as Record<string, string>,
  user = { id: 'user-1' } as { id: string } | null,
  body = { name: 'thing' } as unknown,
  statusCode = 201,
} = {}) {
  const rawHeaders = Object.entries(headers).flat();
  const request = { id: 'req-1', method: 'POST', url: '/v1/things?x=1', headers, raw: { rawHeaders }, user, body };
  return makeHttpContext({ request, response: { statusCode } });
}

describe(IdempotencyInterceptor.name, () => {
  let idempotency: ReturnType<typeof makeIdempotency>;
  let logs: ReturnType<typeof silenceLogger>;
  let sut: IdempotencyInterceptor;

  beforeEach(() => {
    logs = silenceLogger();
    idempotency = makeIdempotency();
    sut = new IdempotencyInterceptor(idempotency as unknown as IdempotencyService);
  });

  afterEach(() => {
    vi.restoreAllMocks();
  });

  async function run(context = makeRequestContext(), next = makeCallHandler({ id: 'thing-1' })) {
    return lastValueFrom(await sut.intercept(context, next));
  }

  it('runs a request without an Idempotency-Key as usual, claiming nothing', async () => {
    const next = makeCallHandler({ id: 'thing-1' });

    await expect(run(makeRequestContext({ headers: {} }), next)).resolves.toEqual({ id: 'thing-1' });
    expect(next.handle).toHaveBeenCalledTimes(1);
    expect(idempotency.claim).not.toHaveBeenCalled();
  });

  it('refuses to run on a route without authentication', async () => {
    await expect(sut.intercept(makeRequestContext({ user: null }), makeCallHandler())).rejects.toThrow(
      '@Idempotent() used on a route without authentication',
    );
  });

  it('claims the key with the fingerprint of method, path without its query, and body', async () => {
    await run();

    expect(idempotency.claim).toHaveBeenCalledWith({
      ...OWNER,
      method: 'POST',
      path: '/v1/things',
      fingerprint: requestFingerprint('POST', '/v1/things', { name: 'thing' }),
    });
  });

  it('refuses a repeated Idempotency-Key header before claiming', async () => {
    const request = makeRequestContext();
    const raw = request.switchToHttp().getRequest<{ raw: { rawHeaders: string[] } }>().raw;
    raw.rawHeaders.push('Idempotency-Key', 'key-2');

    await expect(sut.intercept(request, makeCallHandler())).rejects.toThrow(ValidationFailedError);
    expect(idempotency.claim).not.toHaveBeenCalled();
  });

  it('refuses a body nested too deep for the fingerprint before claiming', async () => {
    let body: unknown = {};
    for (let depth = 0; depth < MAX_INPUT_DEPTH; depth++) body = { nested: body };

    await expect(sut.intercept(makeRequestContext({ body }), makeCallHandler())).rejects.toThrow(ValidationFailedError);
    expect(idempotency.claim).not.toHaveBeenCalled();
  });

  it('stores the answer of a claimed request with the status the reply carries, and answers it', async () => {
    await expect(run(makeRequestContext({ statusCode: 201 }))).resolves.toEqual({ id: 'thing-1' });

    expect(idempotency.complete).toHaveBeenCalledWith(OWNER, 'record-1', { status: 201, body: { id: 'thing-1' } });
  });

  it('stores an answer without a body as null', async () => {
    await run(makeRequestContext({ statusCode: 204 }), makeCallHandler(undefined));

    expect(idempotency.complete).toHaveBeenCalledWith(OWNER, 'record-1', { status: 204, body: null });
  });

  it('replays a stored answer marked Idempotent-Replayed, without running the route', async () => {
    idempotency.claim.mockResolvedValue({ kind: 'replay', response: { status: 201, body: { id: 'thing-1' } } });
    const next = makeCallHandler();

    const replayed = (await run(makeRequestContext(), next)) as Response;

    expect(next.handle).not.toHaveBeenCalled();
    expect(replayed.status).toBe(201);
    expect(replayed.headers.get('idempotent-replayed')).toBe('true');
    expect(replayed.headers.get('content-type')).toBe('application/json; charset=utf-8');
    expect(replayed.headers.get('content-length')).toBe(String('{"id":"thing-1"}'.length));
    await expect(replayed.json()).resolves.toEqual({ id: 'thing-1' });
  });

  it('replays a stored client error as problem+json, and a bodiless answer with no body', async () => {
    idempotency.claim.mockResolvedValueOnce({ kind: 'replay', response: { status: 422, body: { code: 'X' } } });
    idempotency.claim.mockResolvedValueOnce({ kind: 'replay', response: { status: 204, body: null } });

    const problem = (await run()) as Response;
    const empty = (await run()) as Response;

    expect(problem.headers.get('content-type')).toBe('application/problem+json; charset=utf-8');
    expect(empty.status).toBe(204);
    expect(empty.body).toBeNull();
  });

  it('lets a conflict of the claim (first request still running) through, running nothing', async () => {
    idempotency.claim.mockRejectedValue(new IdempotencyKeyInProgressError());
    const next = makeCallHandler();

    await expect(sut.intercept(makeRequestContext(), next)).rejects.toThrow(IdempotencyKeyInProgressError);
    expect(next.handle).not.toHaveBeenCalled();
  });

  it('stores a domain client error as the problem body the filter sends, and rethrows it', async () => {
    const error = new DomainError('conflict', 'THING_TAKEN', 'Taken.');

    await expect(run(makeRequestContext(), makeCallHandler(throwError(() => error)))).rejects.toBe(error);
    expect(idempotency.complete).toHaveBeenCalledWith(OWNER, 'record-1', {
      status: 409,
      body: toProblem(error, 'req-1', '/v1/things').body,
    });
    expect(idempotency.release).not.toHaveBeenCalled();
  });

  it.each([
    ['a rate limit', new DomainError('rate_limited', 'RATE_LIMITED', 'Slow down.')],
    ['an unavailable dependency', new DomainError('unavailable', 'MAIL_DELIVERY_FAILED', 'Later.')],
    ['an unexpected error', new Error('bug')],
  ])('releases the key after %s, so the client may retry with it', async (_kind, error) => {
    await expect(run(makeRequestContext(), makeCallHandler(throwError(() => error)))).rejects.toBe(error);
    expect(idempotency.release).toHaveBeenCalledWith('user-1', 'record-1');
    expect(idempotency.complete).not.toHaveBeenCalled();
  });

  it('still rethrows the route’s error when the release fails, and logs that', async () => {
    const error = new Error('bug');
    idempotency.release.mockRejectedValue(new Error('database down'));

    await expect(run(makeRequestContext(), makeCallHandler(throwError(() => error)))).rejects.toBe(error);
    expect(logs.error).toHaveBeenCalledWith(expect.anything(), 'Could not release an idempotency key');
  });

  it('answers the route’s result when storing it fails (the operation happened), and logs that', async () => {
    idempotency.complete.mockRejectedValue(new Error('database down'));

    await expect(run()).resolves.toEqual({ id: 'thing-1' });
    expect(logs.error).toHaveBeenCalledWith(expect.anything(), 'Could not store the response of an idempotent request');
  });
});
