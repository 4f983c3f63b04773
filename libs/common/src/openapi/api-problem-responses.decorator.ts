import { applyDecorators } from '@nestjs/common';
import { ApiExtraModels, ApiResponse, getSchemaPath } from '@nestjs/swagger';
import { PROBLEM_CONTENT_TYPE, titleForStatus } from '../errors/problem-details.js';
import { ProblemDetailsDto } from './problem-details.dto.js';

const DESCRIPTIONS: Record<number, string> = {
  400: 'The request is malformed or fails validation (`VALIDATION_FAILED`, `BAD_REQUEST`).',
  401: 'Missing, invalid or expired credentials.',
  403: 'Authenticated, but not allowed to do this.',
  404: 'The resource does not exist (or is not yours).',
  409: 'The request conflicts with the current state.',
  413: 'The request body is too large.',
  415: 'The request body has an unsupported content type.',
  422: 'The request is well-formed but cannot be processed.',
  429: 'Too many requests; retry after the number of seconds in `Retry-After`.',
  500: 'Unexpected server error; the body reveals nothing but the request id.',
  503: 'A dependency is unavailable.',
};

/** Declares error responses of a route, each with the problem+json schema. */
export function ApiProblemResponses(...statuses: number[]): MethodDecorator & ClassDecorator {
  return applyDecorators(
    ApiExtraModels(ProblemDetailsDto),
    ...statuses.map((status) =>
      ApiResponse({
        status,
        description: DESCRIPTIONS[status] ?? titleForStatus(status),
        content: { [PROBLEM_CONTENT_TYPE]: { schema: { $ref: getSchemaPath(ProblemDetailsDto) } } },
      }),
    ),
  );
}
