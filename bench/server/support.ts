/**
 * What the server benchmarks share: HTTP helpers against the reference server, autocannon
 * request builders for its workloads, and start-up waiting.
 */
import type { ChildProcess } from 'node:child_process';
import type autocannon from 'autocannon';

/** The password of every user the benchmarks register. */
export const PASSWORD = 'bench-password-1';

/** A token pair as the server returns it. */
export interface Pair {
  access_token: string;
  refresh_token: string;
}

/** Sends a JSON request, with a Bearer token when given. */
export async function post(
  base: string,
  path: string,
  body: unknown,
  token?: string,
  method = 'POST',
): Promise<Response> {
  const headers: Record<string, string> = { 'content-type': 'application/json' };
  if (token) headers.authorization = `Bearer ${token}`;
  return fetch(base + path, { method, headers, body: JSON.stringify(body) });
}

/** Logs `email` in with {@link PASSWORD}. */
export async function login(base: string, email: string): Promise<Pair> {
  const response = await post(base, '/api/login/', { email, password: PASSWORD });
  if (response.status !== 200) throw new Error(`login ${email}: ${response.status}`);
  return (await response.json()) as Pair;
}

/** Polls `url` until it answers below 500, failing if `child` exits or 30 s pass. */
export async function waitFor(url: string, child: ChildProcess, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`${url}: the process exited with ${child.exitCode}`);
    try {
      if ((await fetch(url)).status < 500) return;
    } catch {
      // not listening yet
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`${url} did not answer within ${timeoutMs} ms`);
}

/** GET /api/me/ with the tokens in turn. */
export function meRequest(tokens: string[]): autocannon.Request {
  let next = 0;
  return {
    method: 'GET',
    path: '/api/me/',
    setupRequest: (request) => ({
      ...request,
      headers: { ...request.headers, authorization: `Bearer ${tokens[next++ % tokens.length]}` },
    }),
  };
}

/**
 * A token the server never issued: sent when the pool runs dry, so that the run goes on and
 * its 401s show as non-2xx answers (a throw inside autocannon would end the whole process).
 */
const EXHAUSTED_POOL_TOKEN = '00000000-0000-4000-8000-000000000000';

/** POST /api/refresh/: each request takes a token from the pool and puts the rotated one back. */
export function refreshRequest(pool: string[]): autocannon.Request {
  return {
    method: 'POST',
    path: '/api/refresh/',
    headers: { 'content-type': 'application/json' },
    setupRequest: (request) => {
      const token = pool.shift() ?? EXHAUSTED_POOL_TOKEN;
      return { ...request, body: JSON.stringify({ refresh_token: token }) };
    },
    onResponse: (status, body) => {
      if (status === 200) pool.push((JSON.parse(body) as Pair).refresh_token);
    },
  };
}

/** POST /api/login/ with the emails in turn. */
export function loginRequest(emails: string[]): autocannon.Request {
  let next = 0;
  return {
    method: 'POST',
    path: '/api/login/',
    headers: { 'content-type': 'application/json' },
    setupRequest: (request) => ({
      ...request,
      body: JSON.stringify({ email: emails[next++ % emails.length], password: PASSWORD }),
    }),
  };
}
