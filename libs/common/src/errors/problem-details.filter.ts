import { Catch, Logger, type ArgumentsHost, type ExceptionFilter } from '@nestjs/common';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { toProblem } from './problem-mapper.js';
import { PROBLEM_CONTENT_TYPE } from './problem-details.js';

/**
 * The one global exception filter: every error leaves the API as `application/problem+json`
 * carrying a stable `code` and the request id. 5xx are logged with their stack; bodies never are.
 */
@Catch()
export class ProblemDetailsFilter implements ExceptionFilter {
  private readonly logger = new Logger('ExceptionFilter');

  catch(exception: unknown, host: ArgumentsHost): void {
    const http = host.switchToHttp();
    sendProblem(exception, http.getRequest<FastifyRequest>(), http.getResponse<FastifyReply>(), this.logger);
  }
}

/** Shared by the Nest filter and Fastify's own error handler (errors raised before routing). */
export function sendProblem(exception: unknown, request: FastifyRequest, reply: FastifyReply, logger: Logger): void {
  // The path only: a query string may carry a token and must not be echoed back.
  const problem = toProblem(exception, String(request.id), request.url.split('?', 1)[0] ?? '/');
  if (problem.unexpected) {
    logger.error(
      { err: exception, requestId: request.id, method: request.method, url: request.url },
      'Unhandled error while processing a request',
    );
  }
  if (reply.sent) return;
  void reply
    .status(problem.status)
    .headers(problem.headers)
    .type(PROBLEM_CONTENT_TYPE)
    .send(problem.body);
}
