/**
 * What the server benchmarks share: HTTP helpers against the reference server, autocannon
 * request builders for its workloads, start-up waiting, and the CPU time of a process.
 */
import { type ChildProcess, spawnSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
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

/**
 * POST /api/refresh/: each request takes a token from the pool and puts the rotated one back
 * (connections share the pool; {@link sessionRefreshRequest} keeps one session per connection).
 */
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

/**
 * autocannon options under which every connection gets its own requests, built by `build` when
 * the connection is set up, so that state kept in the builder's closure (a session's current
 * refresh token) belongs to one connection. autocannon's own `context` would not do: it is reset
 * whenever a connection's request list wraps around, that is after every request of a
 * one-request list. A request object may still be shared by several connections, as autocannon
 * shares its `requests` option: a connection builds a request just before sending it.
 */
export function perConnection(build: () => autocannon.Request[]): Pick<autocannon.Options, 'setupClient'> {
  return { setupClient: (client) => client.setRequests(build()) };
}

/**
 * POST /api/refresh/ as one client with one session does it: the first request presents the
 * refresh token `take` gives, every later one the token the previous answer returned. Returns
 * `count` request objects that share that one session (for a list that refreshes several
 * times per round); use them inside {@link perConnection} so that each connection rotates its
 * own session. With pipelining 1 (autocannon's default) a connection sends its next request
 * only after the previous answer, so the session is never presented twice at once.
 */
export function sessionRefreshRequests(take: () => string | undefined, count = 1): autocannon.Request[] {
  let token: string | undefined;
  return Array.from({ length: count }, () => ({
    method: 'POST',
    path: '/api/refresh/',
    headers: { 'content-type': 'application/json' },
    setupRequest: (request: autocannon.Request) => {
      token ??= take() ?? EXHAUSTED_POOL_TOKEN;
      return { ...request, body: JSON.stringify({ refresh_token: token }) };
    },
    onResponse: (status: number, body: string) => {
      if (status === 200) token = (JSON.parse(body) as Pair).refresh_token;
    },
  }));
}

let clockTicksPerSecond: number | undefined;

/** The kernel's clock ticks per second, the unit of CPU times in /proc (almost always 100). */
function ticksPerSecond(): number {
  if (clockTicksPerSecond === undefined) {
    const answer = spawnSync('getconf', ['CLK_TCK'], { encoding: 'utf8' });
    const ticks = Number(answer.stdout?.trim());
    clockTicksPerSecond = answer.status === 0 && ticks > 0 ? ticks : 100;
  }
  return clockTicksPerSecond;
}

/** The fields of /proc/<pid>/stat (or of one thread's stat) after the command name (the first is the state). */
function statFields(pid: number, path = `/proc/${pid}/stat`): string[] | undefined {
  try {
    const stat = readFileSync(path, 'utf8');
    // The command name is in parentheses and may itself hold spaces and parentheses.
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  } catch {
    return undefined;
  }
}

// Indexes into statFields(): fields 4, 14, 15, 16 and 17 of proc(5), counted from 1 with the pid.
const PPID = 1;
const UTIME = 11;
const STIME = 12;
const CUTIME = 13;
const CSTIME = 14;

/**
 * The CPU time a process has used so far, user plus system, all its threads, in milliseconds
 * (Linux /proc; NaN when the process is gone or there is no /proc). Resolution: one clock tick.
 */
export function processCpuMs(pid: number | undefined): number {
  return cpuMs(pid === undefined ? undefined : statFields(pid));
}

/** User plus system time of stat fields, in milliseconds; NaN without them. */
function cpuMs(fields: string[] | undefined): number {
  if (fields === undefined) return Number.NaN;
  return ((Number(fields[UTIME]) + Number(fields[STIME])) * 1000) / ticksPerSecond();
}

/**
 * The CPU time of a process's main thread (the one running the event loop), user plus system,
 * in milliseconds (Linux /proc; NaN when unknown). One thread of a server bounds its
 * requests per second at 10^6 / (this time per request in µs), however many cores are free.
 */
export function mainThreadCpuMs(pid: number | undefined): number {
  return cpuMs(pid === undefined ? undefined : statFields(pid, `/proc/${pid}/task/${pid}/stat`));
}

/**
 * The CPU time of a process and of its children, both the live ones and those it has reaped,
 * in milliseconds: a PostgreSQL postmaster with its backends, which do the work.
 */
export function processTreeCpuMs(pid: number | undefined): number {
  const fields = pid === undefined ? undefined : statFields(pid);
  if (pid === undefined || fields === undefined) return Number.NaN;
  let ticks = Number(fields[UTIME]) + Number(fields[STIME]) + Number(fields[CUTIME]) + Number(fields[CSTIME]);
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    const child = statFields(Number(entry));
    if (child !== undefined && Number(child[PPID]) === pid) {
      ticks += Number(child[UTIME]) + Number(child[STIME]);
    }
  }
  return (ticks * 1000) / ticksPerSecond();
}
