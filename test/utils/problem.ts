import { expect } from 'vitest';
import type { LightMyRequestResponse } from 'fastify';

export type ProblemShape = { status: number } & Record<string, unknown>;

/** The fixed part of a 400 `VALIDATION_FAILED` body; add `errors` (and `instance`) per response. */
export const VALIDATION_FAILED = {
  type: 'urn:problem-type:validation-failed',
  title: 'Bad Request',
  status: 400,
  detail: 'The request is invalid.',
  code: 'VALIDATION_FAILED',
};

/** The fixed part of the answer to a missing, invalid, expired or revoked access token. */
export const INVALID_ACCESS_TOKEN = {
  type: 'urn:problem-type:invalid-access-token',
  title: 'Unauthorized',
  status: 401,
  detail: 'A valid access token is required.',
  code: 'INVALID_ACCESS_TOKEN',
};

/** The fixed part of the answer to a sign-in with an unknown email or a wrong password. */
export const INVALID_CREDENTIALS = {
  type: 'urn:problem-type:invalid-credentials',
  title: 'Unauthorized',
  status: 401,
  detail: 'The email or password is incorrect.',
  code: 'INVALID_CREDENTIALS',
};

/** Asserts the exact problem+json answer: status, content type and the whole body. */
export function expectProblem(
  res: LightMyRequestResponse,
  problem: ProblemShape,
  instance: string,
  extra: Record<string, unknown> = {},
): void {
  expect({ status: res.statusCode, body: res.json() }).toEqual({
    status: problem.status,
    body: { ...problem, ...extra, instance, requestId: res.headers['x-request-id'] },
  });
  expect(res.headers['content-type']).toBe('application/problem+json; charset=utf-8');
}
