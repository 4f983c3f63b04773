import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';

export class FieldErrorDto {
  /** Dotted path of the offending field; empty when the problem concerns the whole body. */
  @ApiProperty({ example: 'email' })
  field: string;

  /** What is wrong with it. */
  @ApiProperty({ example: 'email must be an email' })
  message: string;
}

/** RFC 9457 problem details: the body of every error response (`application/problem+json`). */
export class ProblemDetailsDto {
  /** Identifies the kind of problem; derived from `code`. */
  @ApiProperty({ example: 'urn:problem-type:validation-failed' })
  type: string;

  /** Short summary of the HTTP status. */
  @ApiProperty({ example: 'Bad Request' })
  title: string;

  /** The HTTP status code. */
  @ApiProperty({ example: 400 })
  status: number;

  /** Human-readable explanation of this occurrence. */
  @ApiProperty({ example: 'The request is invalid.' })
  detail: string;

  /** The request path that produced the problem. */
  @ApiProperty({ example: '/v1/users/me' })
  instance: string;

  /** Stable machine-readable error code; branch on this, not on `detail`. */
  @ApiProperty({ example: 'VALIDATION_FAILED' })
  code: string;

  /** The request id (also in the `x-request-id` response header); quote it when reporting a problem. */
  @ApiProperty({ example: '0b6f4a4e-3d3c-4f55-9f55-8a0b1e6f1c2d' })
  requestId: string;

  /** Every invalid field, for `VALIDATION_FAILED`. */
  @ApiPropertyOptional({ type: () => [FieldErrorDto] })
  errors?: FieldErrorDto[];
}
