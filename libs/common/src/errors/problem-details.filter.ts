import { Catch, Logger, type ArgumentsHost, type ExceptionFilter } from '@nestjs/common';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { loggedRoute } from '../http/logged-route.js';
import type { DomainError } from './domain-error.js';
import { toProblem, type ProblemResponse } from './problem-mapper.js';
import { PROBLEM_CONTENT_TYPE } from './problem-details.js';

/**
 * Answers `error` as `application/problem+json` (unless a response was already sent) and returns
 * the problem. The instance is the path only: a query string may carry a token and must not be
 * echoed back.
 */
export function sendProblem(request: FastifyRequest, reply: FastifyReply, error: unknown): ProblemResponse {
  const problem = toProblem(error, String(request.id), request.url.split('?', 1)[0] ?? '/');
  if (!reply.sent) {
    void reply.status(problem.status).headers(problem.headers).type(PROBLEM_CONTENT_TYPE).send(problem.body);
  }
  return problem;
}

/**
 * Recognises an infrastructure library's errors (the database lib's, for one) and names the
 * domain error to answer with; undefined for errors it does not know.
 */
export type ErrorTranslator = (error: unknown) => DomainError | undefined;

/**
 * The one global exception filter: every error leaves the API as `application/problem+json`
 * carrying a stable `code` and the request id. 5xx are logged with their stack; bodies never are.
 * An error a translator recognises (a database outage: 503) is answered as its domain error and
 * logged, with the original error, as a warning.
 */
@Catch()
export class ProblemDetailsFilter implements ExceptionFilter {
  private readonly logger = new Logger('ExceptionFilter');

  constructor(private readonly translators: readonly ErrorTranslator[] = []) {}

  catch(exception: unknown, host: ArgumentsHost): void {
    const http = host.switchToHttp();
    const request = http.getRequest<FastifyRequest>();
    const translated = this.translate(exception);
    const problem = sendProblem(request, http.getResponse<FastifyReply>(), translated ?? exception);
    if (translated) {
      this.logger.warn(
        { err: exception, requestId: request.id, method: request.method, url: problem.body.instance },
        `Answered ${problem.status} ${problem.body.code}`,
      );
    } else if (problem.unexpected) {
      this.logger.error(
        // The route pattern, not the path (`instance`): a path may carry a bearer token.
        { err: exception, requestId: request.id, method: request.method, url: loggedRoute(request) },
        'Unhandled error',
      );
    }
  }

  private translate(exception: unknown): DomainError | undefined {
    for (const translator of this.translators) {
      const translated = translator(exception);
      if (translated) return translated;
    }
    return undefined;
  }
}
