import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { PROBLEM_LIMITS } from '../errors/problem-details.js';
import { ACCEPTED_REQUEST_ID } from '../http/request-id.js';

/** Stable error codes: upper-case words joined by underscores. */
const ERROR_CODE_PATTERN = '^[A-Z][A-Z0-9_]*$';

export class FieldErrorDto {
  /** Dotted path of the offending field; empty when the problem concerns the whole body. */
  @ApiProperty({ example: 'email', maxLength: PROBLEM_LIMITS.field })
  field: string;

  /** What is wrong with it. */
  @ApiProperty({ example: 'email must be an email', maxLength: PROBLEM_LIMITS.text })
  message: string;
}

/** RFC 9457 problem details: the body of every error response (`application/problem+json`). */
export class ProblemDetailsDto {
  /** Identifies the kind of problem; derived from `code`. */
  @ApiProperty({
    example: 'urn:problem-type:validation-failed',
    format: 'uri',
    maxLength: PROBLEM_LIMITS.short,
    pattern: '^urn:problem-type:[a-z0-9-]+$',
  })
  type: string;

  /** Short summary of the HTTP status. */
  @ApiProperty({ example: 'Bad Request', maxLength: PROBLEM_LIMITS.short })
  title: string;

  /** The HTTP status code. */
  @ApiProperty({ example: 400, type: 'integer', format: 'int32', minimum: 400, maximum: 599 })
  status: number;

  /** Human-readable explanation of this occurrence. */
  @ApiProperty({ example: 'The request is invalid.', maxLength: PROBLEM_LIMITS.text })
  detail: string;

  /** The request path that produced the problem (without its query string). */
  @ApiProperty({ example: '/v1/users/me', maxLength: PROBLEM_LIMITS.text, pattern: '^/' })
  instance: string;

  /** Stable machine-readable error code; branch on this, not on `detail`. */
  @ApiProperty({ example: 'VALIDATION_FAILED', maxLength: PROBLEM_LIMITS.short, pattern: ERROR_CODE_PATTERN })
  code: string;

  /** The request id (also in the `x-request-id` response header); quote it when reporting a problem. */
  @ApiProperty({
    example: '0b6f4a4e-3d3c-4f55-9f55-8a0b1e6f1c2d',
    maxLength: 128,
    pattern: ACCEPTED_REQUEST_ID.source,
  })
  requestId: string;

  /** Every invalid field, for `VALIDATION_FAILED` (at most the first 100). */
  @ApiPropertyOptional({ type: () => [FieldErrorDto], maxItems: PROBLEM_LIMITS.errors })
  errors?: FieldErrorDto[];
}
