import { randomBytes } from 'node:crypto';
import { createServer, type IncomingHttpHeaders, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

type Json = Record<string, unknown>;

/** A request as the fake Stripe API received it. */
export interface FakeStripeRequest {
  method: string;
  /** Path without the query string (`/v1/customers`). */
  path: string;
  /** The form-encoded body, parsed (Stripe's bracket notation becomes objects and arrays; values stay strings). */
  body: Json;
  query: Json;
  /** Lower-case names, as node:http gives them (`idempotency-key`, `authorization`, `stripe-version`). */
  headers: IncomingHttpHeaders;
}

export interface FakeStripeError {
  status: number;
  type: string;
  message: string;
  code?: string;
}

export interface FakeStripe {
  /** `http://127.0.0.1:<port>`, for STRIPE_API_BASE_URL. */
  url: string;
  /** Every request received, oldest first. */
  requests: FakeStripeRequest[];
  /** The requests to one endpoint (`'POST /v1/customers'`, `'GET /v1/subscriptions/sub_1'`). */
  requestsTo(endpoint: string): FakeStripeRequest[];
  /** Makes a subscription known to `GET /v1/subscriptions/:id` (an object built by `stripeSubscription()`). */
  putSubscription(subscription: Json): void;
  /** The next `count` requests answer this error (Stripe's error body, `request-id` header). */
  failNext(error: FakeStripeError, count?: number): void;
  /** The next `count` requests get no answer at all (the client times out). */
  hangNext(count?: number): void;
  close(): Promise<void>;
}

export function fakeId(prefix: string): string {
  return `${prefix}${randomBytes(8).toString('hex')}`;
}

/** `a[b][0][c]=x` -> `{ a: { b: [{ c: 'x' }] } }`, as Stripe reads its form-encoded bodies. */
function parseStripeForm(text: string): Json {
  const root: Json = {};
  for (const [key, value] of new URLSearchParams(text)) {
    const path = key.split(/\[|\]\[|\]/).filter((segment) => segment !== '');
    let node: Json = root;
    path.forEach((segment, index) => {
      if (index === path.length - 1) {
        node[segment] = value;
        return;
      }
      node[segment] ??= {};
      node = node[segment] as Json;
    });
  }
  return arrays(root) as Json;
}

/** Objects whose keys are 0..n-1 become arrays. */
function arrays(value: unknown): unknown {
  if (typeof value !== 'object' || value === null) return value;
  const entries = Object.entries(value as Json).map(([key, child]) => [key, arrays(child)] as const);
  const indexed = entries.length > 0 && entries.every(([key], index) => key === String(index));
  return indexed ? entries.map(([, child]) => child) : Object.fromEntries(entries);
}

function now(): number {
  return Math.floor(Date.now() / 1000);
}

function readBody(request: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    request.on('error', reject);
  });
}

/**
 * A fake of the few Stripe API endpoints the API calls, on 127.0.0.1 and a free port, answering
 * objects shaped like Stripe's (ids, `object` fields, URLs). Like Stripe, a request repeated with
 * an Idempotency-Key it has seen gets the first answer again.
 */
export async function startFakeStripe(): Promise<FakeStripe> {
  const requests: FakeStripeRequest[] = [];
  const subscriptions = new Map<string, Json>();
  const replies = new Map<string, { status: number; body: Json }>();
  const failures: FakeStripeError[] = [];
  let hangs = 0;

  function notFound(kind: string, id: string): { status: number; body: Json } {
    return {
      status: 404,
      body: {
        error: {
          type: 'invalid_request_error',
          code: 'resource_missing',
          message: `No such ${kind}: '${id}'`,
          param: 'id',
        },
      },
    };
  }

  function route(method: string, path: string, body: Json): { status: number; body: Json } {
    if (method === 'POST' && path === '/v1/customers') {
      return {
        status: 200,
        body: {
          id: fakeId('cus_'),
          object: 'customer',
          created: now(),
          email: body.email ?? null,
          name: body.name ?? null,
          metadata: body.metadata ?? {},
          livemode: false,
        },
      };
    }
    if (method === 'POST' && path === '/v1/checkout/sessions') {
      const id = fakeId('cs_test_');
      return {
        status: 200,
        body: {
          id,
          object: 'checkout.session',
          mode: body.mode,
          status: 'open',
          payment_status: 'unpaid',
          customer: body.customer ?? null,
          client_reference_id: body.client_reference_id ?? null,
          metadata: body.metadata ?? {},
          subscription: null,
          success_url: body.success_url ?? null,
          cancel_url: body.cancel_url ?? null,
          url: `https://checkout.stripe.com/c/pay/${id}`,
          created: now(),
          expires_at: now() + 86_400,
          livemode: false,
        },
      };
    }
    if (method === 'POST' && path === '/v1/billing_portal/sessions') {
      return {
        status: 200,
        body: {
          id: fakeId('bps_'),
          object: 'billing_portal.session',
          customer: body.customer,
          return_url: body.return_url ?? null,
          url: `https://billing.stripe.com/p/session/test_${randomBytes(12).toString('hex')}`,
          created: now(),
          livemode: false,
        },
      };
    }
    const subscriptionPath = /^\/v1\/subscriptions\/([A-Za-z0-9_]+)$/.exec(path);
    if (subscriptionPath) {
      const id = subscriptionPath[1] ?? '';
      const subscription = subscriptions.get(id);
      if (!subscription) return notFound('subscription', id);
      if (method === 'GET') return { status: 200, body: subscription };
      if (method === 'POST') {
        const updated = structuredClone(subscription) as Json & { items: { data: Array<Json & { price: Json }> } };
        if (body.cancel_at_period_end !== undefined)
          updated.cancel_at_period_end = body.cancel_at_period_end === 'true';
        for (const change of (body.items as Array<{ id?: string; price?: string }> | undefined) ?? []) {
          const item = updated.items.data.find((candidate) => candidate.id === change.id);
          if (item && change.price) item.price = { ...item.price, id: change.price };
        }
        subscriptions.set(id, updated);
        return { status: 200, body: updated };
      }
    }
    return {
      status: 404,
      body: { error: { type: 'invalid_request_error', message: `Unrecognized request URL (${method}: ${path}).` } },
    };
  }

  async function handle(request: IncomingMessage, response: ServerResponse): Promise<void> {
    const url = new URL(request.url ?? '/', 'http://fake-stripe');
    const text = await readBody(request);
    const method = request.method ?? 'GET';
    const body = parseStripeForm(text);
    requests.push({
      method,
      path: url.pathname,
      body,
      query: parseStripeForm(url.search.slice(1)),
      headers: request.headers,
    });

    if (hangs > 0) {
      hangs--;
      return; // never answered
    }
    const requestId = fakeId('req_');
    let reply: { status: number; body: Json };
    const failure = failures.shift();
    if (failure) {
      const { status, ...error } = failure;
      reply = { status, body: { error } };
    } else {
      const key = request.headers['idempotency-key'];
      const replayKey = typeof key === 'string' ? `${method} ${url.pathname} ${key}` : undefined;
      const replayed = replayKey ? replies.get(replayKey) : undefined;
      reply = replayed ?? route(method, url.pathname, body);
      if (replayKey && !replayed && reply.status < 500) replies.set(replayKey, reply);
    }
    response.writeHead(reply.status, { 'content-type': 'application/json', 'request-id': requestId });
    response.end(JSON.stringify(reply.body));
  }

  const server = createServer((request, response) => {
    handle(request, response).catch(() => {
      response.writeHead(500);
      response.end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;

  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    requestsTo: (endpoint) => requests.filter((request) => `${request.method} ${request.path}` === endpoint),
    putSubscription: (subscription) => subscriptions.set(String(subscription.id), structuredClone(subscription)),
    failNext: (error, count = 1) => {
      for (let i = 0; i < count; i++) failures.push(error);
    },
    hangNext: (count = 1) => {
      hangs += count;
    },
    close: async () => {
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      server.closeAllConnections();
      await closed;
    },
  };
}
