import { expect } from 'vitest';
import { strongPassword, uniqueEmail } from './auth.js';

/** Where requests go: a running server, or the load balancer in front of several. */
export interface Endpoint {
  baseUrl: string;
}

/** A signed-in account: its id and the Authorization header of its access token. */
export interface Account {
  id: string;
  auth: { authorization: string };
}

/** Longest a propagation is waited for before the test gives up (a failure, not a measurement). */
const GIVE_UP_MS = 5_000;

export const call = (at: Endpoint, method: string, path: string, account?: Account, body?: unknown) =>
  fetch(`${at.baseUrl}${path}`, {
    method,
    headers: { ...account?.auth, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
    body: body === undefined ? undefined : JSON.stringify(body),
  });

export const me = (at: Endpoint, account: Account) => call(at, 'GET', '/v1/users/me', account);

export const nameOn = async (at: Endpoint, account: Account) =>
  ((await (await me(at, account)).json()) as { name: string }).name;

export const planOn = async (at: Endpoint, account: Account) =>
  ((await (await call(at, 'GET', '/v1/billing/entitlements', account)).json()) as { planCode: string }).planCode;

export async function signIn(at: Endpoint, email: string, password: string): Promise<Account> {
  const res = await call(at, 'POST', '/v1/auth/login', undefined, { email, password });
  expect(res.status).toBe(200);
  const { accessToken } = (await res.json()) as { accessToken: string };
  const auth = { authorization: `Bearer ${accessToken}` };
  const { id } = (await (await fetch(`${at.baseUrl}/v1/users/me`, { headers: auth })).json()) as { id: string };
  return { id, auth };
}

/** Registers a new account and signs it in. */
export async function register(at: Endpoint, name = 'Test User'): Promise<Account> {
  const email = uniqueEmail();
  const password = strongPassword();
  const res = await call(at, 'POST', '/v1/auth/register', undefined, { email, password, name });
  expect(res.status).toBe(201);
  return signIn(at, email, password);
}

/** Reads until two answers in a row agree with `expected`: the second comes from the first tier. */
export async function warm(read: () => Promise<unknown>, expected: unknown): Promise<void> {
  expect(await read()).toEqual(expected);
  expect(await read()).toEqual(expected);
}

/**
 * Milliseconds from now to the start of the first request (each sent as the previous one is
 * answered) that sees the change: how long the instance kept answering the old value, without
 * the time a busy machine takes to answer that last request.
 */
export async function propagation(seen: () => Promise<boolean>): Promise<number> {
  const start = performance.now();
  for (;;) {
    const sent = performance.now();
    if (await seen()) return sent - start;
    if (performance.now() - start > GIVE_UP_MS) throw new Error(`not seen after ${GIVE_UP_MS} ms`);
  }
}
