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
    const request = http.getRequest<FastifyRequest>();
    const reply = http.getResponse<FastifyReply>();
    // The path only: a query string may carry a token and must not be echoed back.
    const path = request.url.split('?', 1)[0] ?? '/';
    const problem = toProblem(exception, String(request.id), path);
    if (problem.unexpected) {
      this.logger.error(
        { err: exception, requestId: request.id, method: request.method, url: path },
        'Unhandled error',
      );
    }
    if (reply.sent) return;
    void reply.status(problem.status).headers(problem.headers).type(PROBLEM_CONTENT_TYPE).send(problem.body);
  }
}
