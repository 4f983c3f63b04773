import { describe, expect, it } from 'vitest';
import { BadRequestException, HttpException, NotFoundException, PayloadTooLargeException } from '@nestjs/common';
import { DomainError, ValidationFailedError, statusForKind, type ErrorKind } from './domain-error.js';
import { DEFAULT_UNAVAILABLE_RETRY_AFTER_SECONDS, toProblem } from './problem-mapper.js';
import { PROBLEM_LIMITS } from './problem-details.js';

describe(toProblem.name, () => {
  it("maps a domain error to its kind's status and keeps its code and message", () => {
    const sut = toProblem(new DomainError('conflict', 'USER_EMAIL_TAKEN', 'Email taken'), 'req-1', '/v1/users');

    expect(sut).toEqual({
      status: 409,
      headers: {},
      unexpected: false,
      body: {
        type: 'urn:problem-type:user-email-taken',
        title: 'Conflict',
        status: 409,
        detail: 'Email taken',
        instance: '/v1/users',
        code: 'USER_EMAIL_TAKEN',
        requestId: 'req-1',
      },
    });
  });

  it('lists field errors of a validation failure', () => {
    const sut = toProblem(
      new ValidationFailedError([{ field: 'email', message: 'email must be an email' }]),
      'r',
      '/x',
    );

    expect(sut.status).toBe(400);
    expect(sut.body.errors).toEqual([{ field: 'email', message: 'email must be an email' }]);
  });

  it('keeps a problem within its documented bounds: long paths and messages cut, at most 100 field errors', () => {
    const errors = Array.from({ length: 250 }, (_, i) => ({ field: `items.${i}.${'x'.repeat(300)}`, message: 'bad' }));
    const longPath = `/v1/${'a'.repeat(10_000)}`;

    const sut = toProblem(new ValidationFailedError(errors, 'm'.repeat(5_000)), 'r', longPath);

    expect(sut.body.instance).toHaveLength(PROBLEM_LIMITS.text);
    expect(sut.body.instance.startsWith('/v1/aaa')).toBe(true);
    expect(sut.body.detail).toHaveLength(PROBLEM_LIMITS.text);
    expect(sut.body.errors).toHaveLength(PROBLEM_LIMITS.errors);
    expect(sut.body.errors?.[0]?.field).toHaveLength(PROBLEM_LIMITS.field);
    expect(sut.body.errors?.[0]?.field.endsWith('…')).toBe(true);
  });

  it('sets Retry-After for rate limits', () => {
    const sut = toProblem(
      new DomainError('rate_limited', 'RATE_LIMITED', 'Slow down', { retryAfterSeconds: 1.2 }),
      'r',
      '/',
    );

    expect(sut.headers).toEqual({ 'retry-after': '2' });
  });

  it('gives every unavailable dependency a Retry-After, its own or the default', () => {
    const own = toProblem(new DomainError('unavailable', 'X_DOWN', 'down', { retryAfterSeconds: 30 }), 'r', '/');
    const fallback = toProblem(new DomainError('unavailable', 'Y_DOWN', 'down'), 'r', '/');

    expect(own).toMatchObject({ status: 503, headers: { 'retry-after': '30' }, body: { detail: 'down' } });
    expect(fallback).toMatchObject({
      status: 503,
      headers: { 'retry-after': String(DEFAULT_UNAVAILABLE_RETRY_AFTER_SECONDS) },
    });
  });

  it('maps framework HTTP exceptions to generic codes', () => {
    expect(toProblem(new NotFoundException('Cannot GET /nope'), 'r', '/nope').body).toMatchObject({
      status: 404,
      code: 'NOT_FOUND',
      detail: 'Cannot GET /nope',
    });
    expect(toProblem(new BadRequestException(['a', 'b']), 'r', '/').body.detail).toBe('a; b');
    expect(toProblem(new PayloadTooLargeException(), 'r', '/').body.code).toBe('PAYLOAD_TOO_LARGE');
  });

  it('keeps the message of Fastify client errors, which Nest hands over as HttpException', () => {
    const sut = toProblem(new HttpException('Request body is too large', 413), 'r', '/');

    expect(sut.status).toBe(413);
    expect(sut.body).toMatchObject({ code: 'PAYLOAD_TOO_LARGE', detail: 'Request body is too large' });
  });

  it('never echoes the message of a 5xx HttpException', () => {
    expect(toProblem(new HttpException('upstream said: password=x', 502), 'r', '/').body.detail).toBe(
      'An unexpected error occurred.',
    );
  });

  it('hides everything about unexpected errors', () => {
    const error = new Error('connection string postgres://secret@db leaked');

    const sut = toProblem(error, 'req-9', '/v1/x');

    expect(sut.unexpected).toBe(true);
    expect(sut.body).toEqual({
      type: 'urn:problem-type:internal-error',
      title: 'Internal Server Error',
      status: 500,
      detail: 'An unexpected error occurred.',
      instance: '/v1/x',
      code: 'INTERNAL_ERROR',
      requestId: 'req-9',
    });
  });

  it('does not reveal the message of an internal domain error either', () => {
    const sut = toProblem(new DomainError('internal', 'PAYMENT_PROVIDER_BROKEN', 'secret detail'), 'r', '/');

    expect(sut.body.detail).toBe('An unexpected error occurred.');
    expect(sut.body.code).toBe('PAYMENT_PROVIDER_BROKEN');
  });
});

describe(statusForKind.name, () => {
  it.each<[ErrorKind, number]>([
    ['validation', 400],
    ['unauthenticated', 401],
    ['forbidden', 403],
    ['not_found', 404],
    ['conflict', 409],
    ['payload_too_large', 413],
    ['unsupported_media_type', 415],
    ['unprocessable', 422],
    ['rate_limited', 429],
    ['unavailable', 503],
    ['internal', 500],
  ])('%s -> %i', (kind, status) => {
    expect(statusForKind(kind)).toBe(status);
  });
});
