import type { InjectOptions, Response } from 'light-my-request';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { PrismaService } from '@app/database';
import { OpenApiConformance } from './openapi-conformance.js';
import { exampleOf, pathOf, type OpenApiDocument, type SpecOperation } from './openapi-spec.js';

export interface WalkedResponse {
  operation: string;
  status: number;
  /** The headers and the body, as one text to search. */
  text: string;
  res: Response;
}

/**
 * The calls one test makes to the API, recorded with the operation of openapi.json each one
 * exercises, and the secrets (passwords, token hashes) that none of their answers may carry.
 */
export class RouteWalk {
  readonly responses: WalkedResponse[] = [];
  readonly secrets = new Set<string>();

  constructor(private readonly app: NestFastifyApplication) {}

  /** Sends `options` and records the answer as one of `operation` (`GET /v1/users/{id}`). */
  async call(operation: string, options: InjectOptions): Promise<Response> {
    const res = await this.app.inject(options);
    this.responses.push({
      operation,
      status: res.statusCode,
      text: `${JSON.stringify(res.headers)}\n${res.body}`,
      res,
    });
    return res;
  }

  /** Adds every password hash and token hash the database holds now to the secrets. */
  async addStoredHashes(): Promise<void> {
    const prisma = this.app.get(PrismaService);
    for (const user of await prisma.user.findMany({ select: { passwordHash: true } }))
      this.secrets.add(user.passwordHash);
    for (const row of await prisma.refreshToken.findMany({ select: { tokenHash: true } }))
      this.secrets.add(row.tokenHash);
    for (const row of await prisma.userToken.findMany({ select: { tokenHash: true } })) this.secrets.add(row.tokenHash);
    for (const row of await prisma.checkoutSession.findMany({ select: { tokenHash: true } }))
      this.secrets.add(row.tokenHash);
    for (const row of await prisma.apiKey.findMany({ select: { keyHash: true } })) this.secrets.add(row.keyHash);
  }

  /** What is wrong with the recorded answers as answers of the spec's operations; empty when nothing. */
  specProblems(spec: OpenApiConformance): string[] {
    return this.responses.flatMap((r) => spec.problems(r.operation, r.res));
  }

  /** Every recorded answer that names a hash field, holds an argon2 hash or one of the secrets. */
  leaks(): Array<{ operation: string; status: number; leak: string }> {
    return this.responses.flatMap(({ operation, status, text }) => {
      const found = /passwordHash|tokenHash|keyHash|\$argon2/i.exec(text)?.[0];
      const secrets = [...this.secrets].filter(
        (secret) => secret.length >= 8 && secret !== '!deleted' && text.includes(secret),
      );
      return [...(found ? [found] : []), ...secrets].map((leak) => ({ operation, status, leak }));
    });
  }
}

/** Where an operation stands in a walk from the spec: creations first, reads and changes next, deletions last (deepest first). */
function walkOrder(op: SpecOperation): number {
  const depth = op.path.split('/').length;
  if (op.method === 'DELETE') return 1_000 - depth;
  return depth * 10 + ({ POST: 0, GET: 1, PUT: 2, PATCH: 2 } as Record<string, number>)[op.method]!;
}

/**
 * Calls `op` from the spec alone, as `headers` (an admin's token): its path parameters take the
 * id of a resource first created at the parent path by that path's POST (itself called from the
 * spec), or an example of their format; its body and required query and header parameters take
 * examples of their schemas. Every call it makes is recorded on `walk`.
 */
export async function callFromSpec(
  walk: RouteWalk,
  spec: OpenApiDocument,
  operations: SpecOperation[],
  op: SpecOperation,
  auth: Record<string, string>,
): Promise<Response> {
  const created = new Map<string, string>();
  const prerequisites = operations
    .filter((other) => other.method === 'POST' && other !== op && isParentOf(other.path, op.path))
    .sort((a, b) => walkOrder(a) - walkOrder(b));
  for (const parent of prerequisites) {
    const res = await send(walk, spec, parent, auth, created);
    const json = res.statusCode < 300 && String(res.headers['content-type']).includes('json');
    const id = json ? (res.json() as { id?: unknown }).id : undefined;
    if (typeof id === 'string') created.set(parent.path, id);
  }
  return send(walk, spec, op, auth, created);
}

/** Whether `parent` is the collection of one of `path`'s parameters (`/v1/widgets` of `/v1/widgets/{id}`). */
function isParentOf(parent: string, path: string): boolean {
  return path.startsWith(`${parent}/{`);
}

function send(
  walk: RouteWalk,
  spec: OpenApiDocument,
  op: SpecOperation,
  auth: Record<string, string>,
  created: Map<string, string>,
): Promise<Response> {
  const parameters = op.operation.parameters ?? [];
  const example = (name: string, where: 'query' | 'header') =>
    String(exampleOf(spec, parameters.find((p) => p.name === name && p.in === where)?.schema ?? {}, name));
  const url = pathOf(spec, op, (parent) => created.get(parent));
  const query = parameters
    .filter((p) => p.in === 'query' && p.required)
    .map((p) => `${encodeURIComponent(p.name)}=${encodeURIComponent(example(p.name, 'query'))}`);
  const headers: Record<string, string> = {
    ...(op.operation.security?.some((scheme) => 'bearer' in scheme) ? auth : {}),
    ...Object.fromEntries(
      parameters.filter((p) => p.in === 'header' && p.required).map((p) => [p.name, example(p.name, 'header')]),
    ),
  };
  const body = op.operation.requestBody?.content['application/json']?.schema;
  return walk.call(op.name, {
    method: op.method,
    url: query.length > 0 ? `${url}?${query.join('&')}` : url,
    headers,
    ...(body ? { payload: exampleOf(spec, body) as Record<string, unknown> } : {}),
  });
}
