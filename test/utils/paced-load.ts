import http from 'node:http';

/** One HTTP request: a JSON body when `body` is set. */
export interface HttpCallOptions {
  method: string;
  path: string;
  headers?: Record<string, string>;
  body?: unknown;
}

/** Sends one request through `agent` (keep-alive, a source address) and reads the whole answer. */
export function httpCall(
  target: URL,
  agent: http.Agent,
  call: HttpCallOptions,
): Promise<{ status: number; body: string }> {
  const payload = call.body === undefined ? undefined : JSON.stringify(call.body);
  return new Promise((resolve, reject) => {
    const req = http.request(
      {
        host: target.hostname,
        port: target.port,
        method: call.method,
        path: call.path,
        agent,
        headers: { ...call.headers, ...(payload === undefined ? {} : { 'content-type': 'application/json' }) },
        timeout: 30_000,
      },
      (res) => {
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => (body += chunk));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
        res.on('error', reject);
      },
    );
    req.on('timeout', () => req.destroy(new Error('timeout')));
    req.on('error', reject);
    req.end(payload);
  });
}

/** One kind of request the load sends, in turn with the others. */
export interface LoadRequest {
  method: 'GET' | 'PATCH' | 'POST';
  path: string;
  headers?: Record<string, string>;
  /** A fresh body per request (JSON). */
  body?: () => unknown;
}

export interface LoadFailure {
  method: string;
  path: string;
  /** The status, or the connection error's code. */
  outcome: number | string;
  atMs: number;
  body: string;
}

export interface LoadReport {
  sent: number;
  answered: number;
  failures: LoadFailure[];
  /** Requests not sent because `maxOutstanding` were still waiting (the target is stalled). */
  skipped: number;
}

export interface PacedLoadOptions {
  baseUrl: string;
  requestsPerSecond: number;
  requests: LoadRequest[];
  /** Loopback addresses the requests come from, in turn (each is its own client to rate limits). */
  sourceAddresses: string[];
  maxOutstanding?: number;
  /** Bounds: the load stops by itself after this long or this many requests. */
  maxMs?: number;
  maxRequests?: number;
}

/**
 * A load at a fixed pace (not "as fast as answers come": a stalled target does not slow it down),
 * through keep-alive connections from several source addresses. Every answer that is not a 2xx,
 * and every connection error, is a failure with its details. `stop()` waits for what is in flight.
 */
export function startPacedLoad(options: PacedLoadOptions): { stop(): Promise<LoadReport>; report(): LoadReport } {
  const { baseUrl, requestsPerSecond, requests, sourceAddresses } = options;
  const maxOutstanding = options.maxOutstanding ?? 200;
  const maxMs = options.maxMs ?? 180_000;
  const maxRequests = options.maxRequests ?? 100_000;
  const target = new URL(baseUrl);
  const agents = sourceAddresses.map((localAddress) => new http.Agent({ keepAlive: true, localAddress }));
  const report: LoadReport = { sent: 0, answered: 0, failures: [], skipped: 0 };
  const started = performance.now();
  let outstanding = 0;
  const inFlight = new Set<Promise<void>>();

  const send = (index: number) => {
    const request = requests[index % requests.length] as LoadRequest;
    const agent = agents[index % agents.length] as http.Agent;
    const fail = (outcome: number | string, body = ''): void => {
      report.failures.push({
        method: request.method,
        path: request.path,
        outcome,
        atMs: Math.round(performance.now() - started),
        body: body.slice(0, 300),
      });
    };
    const done = httpCall(target, agent, {
      method: request.method,
      path: request.path,
      headers: request.headers,
      body: request.body?.(),
    }).then(
      (res) => {
        report.answered++;
        if (res.status < 200 || res.status >= 300) fail(res.status, res.body);
      },
      (error: NodeJS.ErrnoException) => fail(error.code ?? error.message),
    );
    outstanding++;
    const tracked = done.finally(() => {
      outstanding--;
      inFlight.delete(tracked);
    });
    inFlight.add(tracked);
  };

  // Every 10 ms, the requests due by then.
  const timer = setInterval(() => {
    const elapsed = performance.now() - started;
    if (elapsed > maxMs) return clearInterval(timer);
    const due = Math.min(maxRequests, Math.floor((elapsed / 1000) * requestsPerSecond));
    while (report.sent + report.skipped < due) {
      if (outstanding >= maxOutstanding) report.skipped++;
      else send(report.sent++);
    }
  }, 10);

  return {
    report: () => report,
    stop: async () => {
      clearInterval(timer);
      await Promise.all(inFlight);
      for (const agent of agents) agent.destroy();
      return report;
    },
  };
}
