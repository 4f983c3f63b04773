import { Catch, Logger, type ArgumentsHost, type ExceptionFilter } from '@nestjs/common';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { loggedRoute } from '../http/logged-route.js';
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
 * The one global exception filter: every error leaves the API as `application/problem+json`
 * carrying a stable `code` and the request id. 5xx are logged with their stack; bodies never are.
 */
@Catch()
export class ProblemDetailsFilter implements ExceptionFilter {
  private readonly logger = new Logger('ExceptionFilter');

  catch(exception: unknown, host: ArgumentsHost): void {
    const http = host.switchToHttp();
    const request = http.getRequest<FastifyRequest>();
    const problem = sendProblem(request, http.getResponse<FastifyReply>(), exception);
    if (problem.unexpected) {
      this.logger.error(
        // The route pattern, not the path (`instance`): a path may carry a bearer token.
        { err: exception, requestId: request.id, method: request.method, url: loggedRoute(request) },
        'Unhandled error',
      );
    }
  }
}
