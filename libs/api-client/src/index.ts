import createClient, { type Client, type ClientOptions } from 'openapi-fetch';
import type { components, paths } from './schema.js';

export type { components, operations, paths } from './schema.js';

/** Every schema of the spec by name, e.g. `Schemas['UserResponseDto']`. */
export type Schemas = components['schemas'];

/** The body of every error response (`application/problem+json`, RFC 9457). */
export type ProblemDetails = Schemas['ProblemDetailsDto'];

/** A typed client of the API: `client.GET('/v1/users/me')`, `client.POST('/v1/auth/login', { body })`... */
export type ApiClient = Client<paths>;

export interface ApiClientOptions {
  /** Origin of the API, e.g. `https://api.example.com` (the paths already start with `/v1`). */
  baseUrl: string;
  /**
   * Returns the current access token, or nothing when signed out. Called before every request; the
   * token is sent as `Authorization: Bearer <token>` unless the request sets its own header.
   */
  getAccessToken?: () => string | null | undefined | Promise<string | null | undefined>;
  /**
   * An API key (`nsk_...`) for a machine client, sent as `X-API-Key` on every request instead of an
   * access token; only the routes whose spec lists the `apiKey` security scheme accept it.
   */
  apiKey?: string;
  /** A fetch implementation (defaults to `globalThis.fetch`). */
  fetch?: ClientOptions['fetch'];
}

export function createApiClient(options: ApiClientOptions): ApiClient {
  const client = createClient<paths>({ baseUrl: options.baseUrl, fetch: options.fetch });
  const { apiKey, getAccessToken } = options;
  if (apiKey) {
    client.use({
      onRequest({ request }) {
        if (!request.headers.has('x-api-key') && !request.headers.has('authorization')) {
          request.headers.set('x-api-key', apiKey);
        }
      },
    });
  } else if (getAccessToken) {
    client.use({
      async onRequest({ request }) {
        if (request.headers.has('authorization')) return;
        const token = await getAccessToken();
        if (token) request.headers.set('authorization', `Bearer ${token}`);
      },
    });
  }
  return client;
}

/** Whether a parsed error body is one of the API's problem documents. */
export function isProblemDetails(body: unknown): body is ProblemDetails {
  if (typeof body !== 'object' || body === null) return false;
  const { code, status, requestId } = body as Record<string, unknown>;
  return typeof code === 'string' && typeof status === 'number' && typeof requestId === 'string';
}

/**
 * An error answer of the API. `code` is the problem's stable code (branch on it), or `HTTP_<status>`
 * when the body was not a problem document (e.g. a proxy's error page).
 */
export class ApiError extends Error {
  override readonly name = 'ApiError';
  readonly status: number;
  readonly code: string;
  /** The request id, also in the `x-request-id` header: quote it when reporting a problem. */
  readonly requestId: string | undefined;
  /** The whole problem document, when the body was one. */
  readonly problem: ProblemDetails | undefined;
  readonly response: Response;

  constructor(response: Response, body: unknown) {
    const problem = isProblemDetails(body) ? body : undefined;
    super(problem ? `${problem.code}: ${problem.detail}` : `HTTP ${response.status} ${response.statusText}`.trim());
    this.response = response;
    this.problem = problem;
    this.status = problem?.status ?? response.status;
    this.code = problem?.code ?? `HTTP_${response.status}`;
    this.requestId = problem?.requestId ?? response.headers.get('x-request-id') ?? undefined;
  }
}

/** What every client call resolves to: `data` on a 2xx answer, `error` (the parsed body) otherwise. */
export interface ApiResult {
  data?: unknown;
  error?: unknown;
  response: Response;
}

/** The `data` type of a call's success branch (`undefined` for 204 answers). */
export type ApiData<R> = R extends { data: infer D } ? D : never;

/**
 * Resolves a call to its data, or throws an `ApiError` for any non-2xx answer:
 * `const me = await unwrap(client.GET('/v1/users/me'))`.
 */
export async function unwrap<R extends ApiResult>(call: R | Promise<R>): Promise<ApiData<R>> {
  const { data, error, response } = await call;
  if (!response.ok) throw new ApiError(response, error);
  return data as ApiData<R>;
}
