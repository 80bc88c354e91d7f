/**
 * Server benchmark: starts the built reference server (a child process) on each store in turn
 * and drives it with autocannon from this process.
 *
 * - Every store (`--stores`, default all): GET /api/me/ and POST /api/refresh/ at 10 keep-alive
 *   connections, each connection rotating its own session (it sends the refresh token the
 *   previous answer returned), as an external client does. Stores: the default SQLite file
 *   (`sqlite://`, token-auth's SQL store), `keyv+sqlite://` (the Keyv store), PostgreSQL (a
 *   throwaway cluster started here with its durability settings on) and Redis (a throwaway
 *   `redis-server` started here, no persistence).
 * - The default store also: the same at 100 connections, POST /api/login/, a mixed load, and an
 *   event-loop check (GET /api/me/ latency idle versus under a login-heavy load).
 * - A bare node:http + jose baseline for GET /api/me/, run right after each store's GET /api/me/
 *   row at the same connections and on the same tokens, and the ratio server / baseline of
 *   each such pair.
 *
 * Besides req/s and latency, each row gives the CPU time the server process used per request
 * (utime + stime from /proc, all threads, over the run divided by the responses): on a shared
 * machine it moves much less than throughput. For PostgreSQL and Redis the store's own CPU per
 * request is given too (the postmaster and its backends; redis-server).
 *
 * The server runs with its default LOG_LEVEL (info: one access line per request, stdout to
 * /dev/null) unless `--log-level` says otherwise. Every request comes from 127.0.0.1, one
 * login-throttling key, so the server runs with LOGIN_MAX_FAILURES_PER_CLIENT raised (the output
 * says so). Non-2xx answers and transport errors have their own columns; a row with any of them
 * is marked and shows no throughput figure. A row that throws (or a store that does not start)
 * is reported as crashed and the run goes on; the process then exits 1.
 *
 *   npm run bench:server                             # every store, about 4 minutes
 *   npm run bench:server -- --stores sqlite,redis    # some stores
 *   npm run bench:server -- --duration 5             # shorter runs
 *   npm run bench:server -- --smoke                  # every row for 1 s, no warm-up (CI, about 35 s)
 *   npm run bench:server -- --soak 180               # 3-minute soak of the mixed load (SQLite file)
 *   npm run bench:server -- --log-level warn         # the server's LOG_LEVEL
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { cpus, loadavg, tmpdir, totalmem } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { parseArgs } from 'node:util';
import autocannon from 'autocannon';
import { startPostgresServer } from '../../packages/token-auth/test/helpers/postgres-server.js';
import { freePort, startRedisServer } from '../../packages/token-auth/test/helpers/redis-server.js';
import { stopProcess } from '../../packages/token-auth/test/helpers/stop-process.js';
import {
  login,
  loginRequest,
  mainThreadCpuMs,
  meRequest,
  PASSWORD,
  perConnection,
  post,
  processCpuMs,
  processTreeCpuMs,
  sessionRefreshRequests,
  waitFor,
} from './support.js';

const STORES = ['sqlite', 'keyv', 'postgres', 'redis'] as const;
type StoreName = (typeof STORES)[number];
const STORE_LABELS: Record<StoreName, string> = {
  sqlite: 'sqlite:// (default)',
  keyv: 'keyv+sqlite://',
  postgres: 'postgres://',
  redis: 'redis://',
};

const { values: args } = parseArgs({
  options: {
    duration: { type: 'string' },
    connections: { type: 'string' },
    stores: { type: 'string' },
    soak: { type: 'string', default: '0' },
    users: { type: 'string' },
    smoke: { type: 'boolean', default: false },
    'log-level': { type: 'string' },
  },
});
const smoke = args.smoke === true;
const durationSeconds = Number(args.duration ?? (smoke ? '1' : '10'));
/** A fresh process answers GET /api/me/ at about 0.8 of its steady rate for its first two seconds (V8 compiling). */
const warmUpSeconds = smoke ? 0 : 2;
/** Connections of every store's GET /api/me/ and POST /api/refresh/ rows. */
const STORE_CONNECTIONS = 10;
/** Connection counts of the default store's rows (STORE_CONNECTIONS is always among them). */
const defaultStoreConnections = [
  ...new Set([
    STORE_CONNECTIONS,
    ...String(args.connections ?? '10,100')
      .split(',')
      .map(Number),
  ]),
].sort((a, b) => a - b);
const soakSeconds = Number(args.soak);
const userCount = Number(args.users ?? (smoke ? '20' : '200'));
const logLevel = args['log-level'];
const stores = parseStores(args.stores ?? (soakSeconds > 0 ? 'sqlite' : STORES.join(',')));
const repoRoot = new URL('../../', import.meta.url).pathname;

if (!Number.isFinite(durationSeconds) || durationSeconds <= 0) throw new Error('--duration: seconds > 0');
if (defaultStoreConnections.some((n) => !Number.isInteger(n) || n < 1)) {
  throw new Error('--connections: a comma-separated list of positive integers');
}

function parseStores(list: string): StoreName[] {
  const names = list.split(',').map((name) => name.trim());
  const unknown = names.filter((name) => !(STORES as readonly string[]).includes(name));
  if (unknown.length > 0 || names.length === 0) {
    throw new Error(`--stores: unknown ${unknown.join(', ')}; choose among ${STORES.join(',')}`);
  }
  return STORES.filter((store) => names.includes(store));
}

/**
 * The per-client login limit of the bench server. Every request comes from one address, and
 * the throttle counts a login as a failure until it succeeds, so up to `connections` logins in
 * flight look like failures. A limit this high keeps the bookkeeping (counters hit, reset) but
 * never refuses; real clients come from many addresses.
 */
const BENCH_LOGIN_MAX_FAILURES_PER_CLIENT = 1_000_000;

interface Row {
  /** The store label, or `baseline`. */
  store: string;
  workload: string;
  connections: number;
  rps: number;
  p50: number;
  p99: number;
  /** Responses outside 2xx, by status. */
  non2xx: Record<string, number>;
  /** Transport errors and timeouts. */
  errors: number;
  rssMiB: number;
  /** Responses received within the run. */
  completed: number;
  /** Server CPU time per response, µs (NaN when unknown). */
  serverUs: number;
  /**
   * Of which the server's main thread (the event loop), µs per response: one process cannot
   * answer more than 10^6 / mainUs requests per second.
   */
  mainUs: number;
  /** Server CPU time over wall time: the cores the server kept busy. */
  serverCores: number;
  /** The store process's CPU time per response, µs (NaN for in-process stores). */
  storeUs: number;
  /** This process's (autocannon's) CPU time over wall time. */
  clientCores: number;
  /** Set when the row threw instead of finishing. */
  crashed?: string;
}

/** Whether a row's figures describe successful work only (else it is marked, not a throughput). */
function clean(row: Row): boolean {
  return (
    row.crashed === undefined && row.completed > 0 && row.errors === 0 && Object.keys(row.non2xx).length === 0
  );
}

function rssMiB(pid: number | undefined): number {
  if (pid === undefined) return Number.NaN;
  try {
    const status = readFileSync(`/proc/${pid}/status`, 'utf8');
    const match = /VmRSS:\s+(\d+) kB/.exec(status);
    return match ? Math.round(Number(match[1]) / 1024) : Number.NaN;
  } catch {
    return Number.NaN;
  }
}

type Request = autocannon.Request;

/** Where a row's load goes and whose CPU it counts. */
interface Target {
  base: string;
  /** The server process. */
  pid: number | undefined;
  /** CPU time of the store's own process(es) so far, ms; absent for in-process stores. */
  storeCpuMs?: (() => number) | undefined;
}

/** What one autocannon run measured. */
interface Measured {
  result: autocannon.Result;
  serverCpuMs: number;
  mainThreadCpuMs: number;
  storeCpuMs: number;
  clientCpuMs: number;
  wallMs: number;
}

/** Drives `target` for `seconds`, each connection with the requests `build` gives it. */
async function drive(
  target: Target,
  connections: number,
  build: () => Request[],
  seconds: number,
): Promise<Measured> {
  const server0 = processCpuMs(target.pid);
  const main0 = mainThreadCpuMs(target.pid);
  const store0 = target.storeCpuMs?.() ?? Number.NaN;
  const client0 = process.cpuUsage();
  const t0 = performance.now();
  const result = await autocannon({
    url: target.base,
    connections,
    duration: seconds,
    ...perConnection(build),
  });
  const wallMs = performance.now() - t0;
  const client = process.cpuUsage(client0);
  return {
    result,
    serverCpuMs: processCpuMs(target.pid) - server0,
    mainThreadCpuMs: mainThreadCpuMs(target.pid) - main0,
    storeCpuMs: (target.storeCpuMs?.() ?? Number.NaN) - store0,
    clientCpuMs: (client.user + client.system) / 1000,
    wallMs,
  };
}

function summarize(
  store: string,
  workload: string,
  connections: number,
  measured: Measured,
  pid: number | undefined,
): Row {
  const { result } = measured;
  const non2xx: Record<string, number> = {};
  for (const [status, stats] of Object.entries(result.statusCodeStats ?? {})) {
    const count = stats?.count ?? 0;
    if (!status.startsWith('2') && count > 0) non2xx[status] = count;
  }
  // autocannon counts non-2xx without a breakdown when it has no status stats.
  if (Object.keys(non2xx).length === 0 && result.non2xx > 0) non2xx['non-2xx'] = result.non2xx;
  const completed = result.requests.total;
  return {
    store,
    workload,
    connections,
    rps: Math.round(result.requests.average),
    p50: result.latency.p50,
    p99: result.latency.p99,
    non2xx,
    errors: result.errors + result.timeouts,
    rssMiB: rssMiB(pid),
    completed,
    serverUs: completed > 0 ? (measured.serverCpuMs * 1000) / completed : Number.NaN,
    mainUs: completed > 0 ? (measured.mainThreadCpuMs * 1000) / completed : Number.NaN,
    serverCores: measured.serverCpuMs / measured.wallMs,
    storeUs: completed > 0 ? (measured.storeCpuMs * 1000) / completed : Number.NaN,
    clientCores: measured.clientCpuMs / measured.wallMs,
  };
}

function crashedRow(store: string, workload: string, connections: number, error: unknown): Row {
  const message = (error instanceof Error ? error.message : String(error)).split('\n')[0] ?? '';
  return {
    store,
    workload,
    connections,
    rps: 0,
    p50: 0,
    p99: 0,
    non2xx: {},
    errors: 0,
    rssMiB: Number.NaN,
    completed: 0,
    serverUs: Number.NaN,
    mainUs: Number.NaN,
    serverCores: Number.NaN,
    storeUs: Number.NaN,
    clientCores: Number.NaN,
    crashed: message,
  };
}

/** Why a row that did not crash gives no figure. */
function failure(row: Row): string {
  if (row.completed === 0) return 'no response within the run';
  return 'see non-2xx and errors';
}

function non2xxText(row: Row): string {
  const entries = Object.entries(row.non2xx);
  return entries.length === 0 ? '0' : entries.map(([status, count]) => `${count} × ${status}`).join(', ');
}

/** A number for a table cell: `–` when unknown. */
function cell(value: number, digits = 0): string {
  return Number.isFinite(value) ? value.toFixed(digits) : '–';
}

function table(rows: Row[]): string {
  const lines = [
    '| store | workload | connections | req/s | p50 ms | p99 ms | non-2xx | errors | server CPU µs/req | main thread µs/req | server cores | store CPU µs/req | load generator cores | server RSS MiB |',
    '| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |',
  ];
  for (const r of rows) {
    const head = `| ${r.store} | ${r.workload} | ${r.connections}`;
    if (r.crashed !== undefined) {
      lines.push(`${head} | **crashed**: ${r.crashed} | | | | | | | | | | |`);
    } else if (!clean(r)) {
      // Failed answers are fast: counting them would inflate the figure, so none is given.
      lines.push(
        `${head} | **failed** (${failure(r)}) | – | – | ${non2xxText(r)} | ${r.errors} | – | – | – | – | – | ${cell(r.rssMiB)} |`,
      );
    } else {
      lines.push(
        `${head} | ${r.rps} | ${r.p50} | ${r.p99} | 0 | 0 | ${cell(r.serverUs)} | ${cell(r.mainUs)} | ${cell(r.serverCores, 2)} | ${cell(r.storeUs)} | ${cell(r.clientCores, 2)} | ${cell(r.rssMiB)} |`,
      );
    }
  }
  return lines.join('\n');
}

/** Runs one row, turning a throw into a crashed row so that the other rows still run. */
async function row(
  store: string,
  workload: string,
  connections: number,
  run: () => Promise<Measured>,
  pid: number | undefined,
): Promise<Row> {
  let result: Row;
  try {
    result = summarize(store, workload, connections, await run(), pid);
  } catch (error) {
    result = crashedRow(store, workload, connections, error);
  }
  const shown =
    result.crashed ??
    (clean(result)
      ? `${result.rps} req/s, server ${cell(result.serverUs)} µs CPU/req`
      : `failed: ${result.completed === 0 ? 'no response within the run' : `non-2xx ${non2xxText(result)}, errors ${result.errors}`}`);
  process.stderr.write(`${store} ${workload} @${connections}: ${shown}\n`);
  return result;
}

/** A store the server runs on: its URL and, for a store in its own process, how to read its CPU. */
interface Backing {
  url: string;
  storeCpuMs?: (() => number) | undefined;
  stop(): Promise<void>;
}

async function openBacking(store: StoreName, dir: string): Promise<Backing> {
  switch (store) {
    case 'sqlite':
      return { url: `sqlite://${join(dir, 'auth.sqlite')}`, stop: async () => {} };
    case 'keyv':
      return { url: `keyv+sqlite://${join(dir, 'auth-keyv.sqlite')}`, stop: async () => {} };
    case 'postgres': {
      const pg = await startPostgresServer({ durable: true });
      return { url: pg.url(), storeCpuMs: () => processTreeCpuMs(pg.pid), stop: () => pg.stop() };
    }
    case 'redis': {
      const redis = await startRedisServer();
      return { url: redis.url(0), storeCpuMs: () => processCpuMs(redis.pid), stop: () => redis.stop() };
    }
  }
}

const children = new Set<ChildProcess>();
process.on('exit', () => {
  for (const child of children) child.kill('SIGTERM');
});
// Ctrl-C: exit through the 'exit' handlers, so that servers and the PostgreSQL cluster stop.
process.once('SIGINT', () => process.exit(130));

function startServer(databaseUrl: string, port: number, secret: string, extraEnv: Record<string, string>) {
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    PORT: String(port),
    HOST: '127.0.0.1',
    DATABASE_URL: databaseUrl,
    JWT_SECRET: secret,
    ADMIN_EMAIL,
    ADMIN_PASSWORD: PASSWORD,
    NODE_ENV: 'production',
    LOGIN_MAX_FAILURES_PER_CLIENT: String(BENCH_LOGIN_MAX_FAILURES_PER_CLIENT),
    ...extraEnv,
  };
  // The server's default level unless --log-level names one.
  delete env.LOG_LEVEL;
  if (logLevel !== undefined) env.LOG_LEVEL = logLevel;
  const server = spawn(process.execPath, [join(repoRoot, 'examples/koa-server/dist/main.js')], {
    env,
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  children.add(server);
  server.once('exit', () => children.delete(server));
  return server;
}

const ADMIN_EMAIL = 'admin@bench.example';

/** A server ready for load: its users registered and logged in once. */
interface Prepared {
  target: Target;
  server: ChildProcess;
  emails: string[];
  accessTokens: string[];
  /** `count` fresh sessions (logins), handed out one per connection. */
  sessions(count: number): Promise<() => string | undefined>;
  /** Waits until logins a finished run left queued for a password hash are done. */
  settle(): Promise<void>;
}

async function prepare(
  base: string,
  server: ChildProcess,
  storeCpuMs: Backing['storeCpuMs'],
): Promise<Prepared> {
  await waitFor(`${base}/healthz`, server, 60_000);
  // Long access tokens so that a run never outlives them; the refresh lifetime stays at its
  // default unless soaking (see below).
  const admin = await login(base, ADMIN_EMAIL);
  const settings = await fetch(`${base}/api/admin/settings/`, {
    method: 'PUT',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${admin.access_token}` },
    body: JSON.stringify({
      access_token_lifetime: 3600,
      ...(soakSeconds > 0 ? { refresh_token_lifetime: 30 } : {}),
    }),
  });
  if (settings.status !== 200) throw new Error(`settings: ${settings.status}`);

  const emails = Array.from({ length: userCount }, (_, i) => `user${i}@bench.example`);
  for (let i = 0; i < emails.length; i += 10) {
    await Promise.all(
      emails.slice(i, i + 10).map(async (email) => {
        const response = await post(base, '/api/register/', { email, password: PASSWORD });
        if (response.status !== 201) throw new Error(`register ${email}: ${response.status}`);
      }),
    );
  }
  const accessTokens: string[] = [];
  for (let i = 0; i < emails.length; i += 10) {
    const pairs = await Promise.all(emails.slice(i, i + 10).map((email) => login(base, email)));
    accessTokens.push(...pairs.map((pair) => pair.access_token));
  }
  let nextLogin = 0;
  return {
    target: { base, pid: server.pid, storeCpuMs },
    server,
    emails,
    accessTokens,
    async sessions(count) {
      const tokens: string[] = [];
      while (tokens.length < count) {
        const batch = Array.from({ length: Math.min(10, count - tokens.length) }, () =>
          login(base, emails[nextLogin++ % emails.length] as string),
        );
        tokens.push(...(await Promise.all(batch)).map((pair) => pair.refresh_token));
      }
      return () => tokens.shift();
    },
    // When a run ends, the logins it sent stay queued for a password hash on the server (the
    // connections are gone, the work is not): one more login waits for that queue to drain.
    async settle() {
      await login(base, emails[0] as string);
    },
  };
}

type Workload = 'me' | 'refresh' | 'login' | 'mixed';
const WORKLOAD_NAMES: Record<Workload, string> = {
  me: 'GET /api/me/',
  refresh: 'POST /api/refresh/',
  login: 'POST /api/login/',
  mixed: 'mixed 80% me, 15% refresh, 5% login',
};

/**
 * Each connection's requests for `workload`; `take` hands out the connections' sessions. The
 * requests that carry no session are shared by all connections, so that their round-robin over
 * users and tokens is shared too: one counter per connection would send every connection's
 * first login for the same user, and more than 10 logins of one account in flight are refused.
 */
function builder(workload: Workload, prepared: Prepared, take: () => string | undefined): () => Request[] {
  const { accessTokens, emails } = prepared;
  switch (workload) {
    case 'me': {
      const me = meRequest(accessTokens);
      return () => [me];
    }
    case 'refresh':
      return () => sessionRefreshRequests(take);
    case 'login': {
      const login = loginRequest(emails);
      return () => [login];
    }
    case 'mixed': {
      const me = Array.from({ length: 16 }, () => meRequest(accessTokens));
      const login = loginRequest(emails);
      return () => [...me, ...sessionRefreshRequests(take, 3), login];
    }
  }
}

/** One measured row of `workload`: fresh sessions, a warm-up, the run, then the login queue drained. */
function workloadRow(
  label: string,
  prepared: Prepared,
  workload: Workload,
  connections: number,
): Promise<Row> {
  const needsSessions = workload === 'refresh' || workload === 'mixed';
  const once = async (seconds: number) => {
    const take = needsSessions ? await prepared.sessions(connections) : () => undefined;
    const measured = await drive(prepared.target, connections, builder(workload, prepared, take), seconds);
    await prepared.settle();
    return measured;
  };
  return row(
    label,
    WORKLOAD_NAMES[workload],
    connections,
    async () => {
      if (warmUpSeconds > 0) await once(warmUpSeconds);
      return once(durationSeconds);
    },
    prepared.server.pid,
  );
}

/** Event-loop health on the default store: GET /api/me/ at one connection, idle and during logins. */
async function eventLoopProbes(label: string, prepared: Prepared): Promise<Row[]> {
  const probeSeconds = smoke ? 1 : Math.max(3, Math.round(durationSeconds / 2));
  const me = builder('me', prepared, () => undefined);
  const idle = await row(
    label,
    'event loop: GET /api/me/ idle',
    1,
    () => drive(prepared.target, 1, me, probeSeconds),
    prepared.server.pid,
  );
  const [loaded, logins] = await Promise.all([
    row(
      label,
      'event loop: GET /api/me/ during logins',
      1,
      () => drive(prepared.target, 1, me, probeSeconds),
      prepared.server.pid,
    ),
    row(
      label,
      'event loop: the logins',
      20,
      () =>
        drive(
          prepared.target,
          20,
          builder('login', prepared, () => undefined),
          probeSeconds,
        ),
      prepared.server.pid,
    ),
  ]);
  await prepared.settle();
  // Two runs at once: their CPU figures overlap, so none is given.
  for (const probe of [loaded, logins]) {
    probe.serverUs = Number.NaN;
    probe.serverCores = Number.NaN;
    probe.clientCores = Number.NaN;
  }
  return [idle, loaded, logins];
}

/** Runs the rows of one store: its backing service and server started, used, stopped. */
async function benchStore(
  store: StoreName,
  secret: string,
  baseline: Baseline,
): Promise<{ rows: Row[]; baselineRows: Row[]; probes: Row[] }> {
  const label = STORE_LABELS[store];
  const isDefault = store === 'sqlite';
  const plan: [Workload, number][] = isDefault
    ? (['me', 'refresh', 'login', 'mixed'] as const).flatMap((w) =>
        defaultStoreConnections.map((n): [Workload, number] => [w, n]),
      )
    : [
        ['me', STORE_CONNECTIONS],
        ['refresh', STORE_CONNECTIONS],
      ];
  const dir = mkdtempSync(join(tmpdir(), `bench-server-${store}-`));
  let backing: Backing | undefined;
  let server: ChildProcess | undefined;
  try {
    let prepared: Prepared;
    try {
      process.stderr.write(`${label}: starting\n`);
      backing = await openBacking(store, dir);
      const port = await freePort();
      server = startServer(backing.url, port, secret, {});
      prepared = await prepare(`http://127.0.0.1:${port}`, server, backing.storeCpuMs);
    } catch (error) {
      // A store that does not start: every row of it is reported as crashed.
      return {
        rows: plan.map(([workload, connections]) =>
          crashedRow(label, WORKLOAD_NAMES[workload], connections, error),
        ),
        baselineRows: [],
        probes: [],
      };
    }
    const rows: Row[] = [];
    const baselineRows: Row[] = [];
    for (const [workload, connections] of plan) {
      rows.push(await workloadRow(label, prepared, workload, connections));
      // Each GET /api/me/ row is followed at once by the baseline's, on the same tokens and
      // connections: the pair runs within seconds, so the ratio is not a comparison of two
      // moments minutes apart on a machine whose speed drifts.
      if (workload === 'me') baselineRows.push(await baseline.row(label, connections, prepared.accessTokens));
    }
    const probes = isDefault ? await eventLoopProbes(label, prepared) : [];
    return { rows, baselineRows, probes };
  } finally {
    if (server) await stopProcess(server);
    await backing?.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

const BASELINE_WORKLOAD = 'GET /api/me/: node:http + jose verify';

/** The bare node:http + jose server, started once and measured after each GET /api/me/ row. */
interface Baseline {
  /** A GET /api/me/ row of the baseline, paired with `storeLabel`'s row at `connections`. */
  row(storeLabel: string, connections: number, accessTokens: string[]): Promise<Row>;
  stop(): Promise<void>;
}

/** The workload name of a baseline row paired with a store's row. */
function baselineWorkload(storeLabel: string): string {
  return `${BASELINE_WORKLOAD}, paired with ${storeLabel}`;
}

/** Starts the baseline (any access token signed with `secret` verifies on it). */
async function startBaseline(secret: string): Promise<Baseline> {
  const port = await freePort();
  // The tsx loader in this node process, not the tsx command (which forks a child): the pid
  // spawned here is the one doing the work, whose CPU time is read.
  const baseline = spawn(process.execPath, ['--import', 'tsx', join(repoRoot, 'bench/server/baseline.ts')], {
    cwd: repoRoot,
    env: { ...process.env, PORT: String(port), JWT_SECRET: secret },
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  children.add(baseline);
  const target: Target = { base: `http://127.0.0.1:${port}`, pid: baseline.pid };
  const stop = async () => {
    await stopProcess(baseline);
    children.delete(baseline);
  };
  let startError: unknown;
  try {
    await waitFor(`${target.base}/api/me/`, baseline);
  } catch (error) {
    startError = error;
  }
  return {
    async row(storeLabel, connections, accessTokens) {
      const workload = baselineWorkload(storeLabel);
      if (startError !== undefined) return crashedRow('baseline', workload, connections, startError);
      const run = async () => {
        const request = meRequest(accessTokens);
        const me = () => [request];
        if (warmUpSeconds > 0) await drive(target, connections, me, warmUpSeconds);
        return drive(target, connections, me, durationSeconds);
      };
      return row('baseline', workload, connections, run, baseline.pid);
    },
    stop,
  };
}

function ratio(
  server: Row | undefined,
  baseline: Row | undefined,
  field: 'rps' | 'serverUs' | 'mainUs',
): string {
  if (!server || !baseline || !clean(server) || !clean(baseline)) return '–';
  const value = server[field] / baseline[field];
  return Number.isFinite(value) ? value.toFixed(2) : '–';
}

async function main(): Promise<void> {
  const started = performance.now();
  const loadAtStart = loadavg();
  const secret = randomBytes(48).toString('base64url');

  if (soakSeconds > 0) {
    await soakDefaultStore(secret);
    return;
  }

  // The baseline verifies the stores' access tokens: they are signed with the same secret and
  // live an hour, and the baseline checks nothing else.
  const baseline = await startBaseline(secret);
  const baselineRows: Row[] = [];
  const rows: Row[] = [];
  const probes: Row[] = [];
  try {
    for (const store of stores) {
      const result = await benchStore(store, secret, baseline);
      rows.push(...result.rows);
      baselineRows.push(...result.baselineRows);
      probes.push(...result.probes);
    }
  } finally {
    await baseline.stop();
  }

  const find = (list: Row[], store: string, workload: string, connections: number) =>
    list.find((r) => r.store === store && r.workload === workload && r.connections === connections);
  const lines: string[] = [];
  const cpu = cpus();
  lines.push(
    `Machine: ${cpu.length} x ${cpu[0]?.model.trim() ?? 'cpu'}, ${Math.round(totalmem() / 2 ** 30)} GiB, Node ${process.version}; load average ${loadAtStart[0]?.toFixed(2)} at the start, ${loadavg()[0]?.toFixed(2)} at the end.`,
  );
  lines.push(
    `Runs: ${durationSeconds} s each${warmUpSeconds > 0 ? ` after a ${warmUpSeconds} s warm-up` : ', no warm-up'}${smoke ? ' (--smoke: a check that every row runs, not a measurement)' : ''}; every store fresh (a new file, a new PostgreSQL cluster with fsync and synchronous_commit on, a new redis-server without persistence); ${userCount} users; server LOG_LEVEL=${logLevel ?? 'info (its default)'}, stdout to /dev/null, NODE_ENV=production.`,
  );
  lines.push(
    'POST /api/refresh/: every connection rotates its own session (it sends the refresh token the previous answer returned; fresh logins before each run).',
  );
  lines.push(
    'CPU: the server process (all threads), its main thread (the event loop: one process answers at most 10^6 / that many µs requests per second) and, for PostgreSQL and Redis, the store (postmaster and backends; redis-server), from /proc over the run, per response; the load generator (this process) shares the cores. "baseline / server main-thread µs": the req/s ratio the two would reach if each were bound by its event loop, steadier than the measured req/s ratio on a shared machine.',
  );
  lines.push(
    `Logins all come from 127.0.0.1, one throttling key: the server runs with LOGIN_MAX_FAILURES_PER_CLIENT=${BENCH_LOGIN_MAX_FAILURES_PER_CLIENT} (default 100, which counts logins in flight until they succeed and would answer 429s at 100 connections). The throttle's counters are still hit and reset on every login.`,
  );
  lines.push(
    'A row with non-2xx answers or errors is marked failed and gives no req/s: fast failures are not throughput.',
  );
  lines.push('', table([...baselineRows, ...rows]), '');

  const me = WORKLOAD_NAMES.me;
  const refresh = WORKLOAD_NAMES.refresh;
  lines.push(
    `| store | connections | GET /api/me/ req/s | server / baseline req/s | server / baseline CPU per request | baseline / server main-thread µs per request | POST /api/refresh/ req/s | refresh: server CPU µs/req | refresh: main thread µs/req | refresh: store CPU µs/req |`,
  );
  lines.push('| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |');
  for (const store of stores) {
    const label = STORE_LABELS[store];
    const counts = store === 'sqlite' ? defaultStoreConnections : [STORE_CONNECTIONS];
    for (const connections of counts) {
      const b = find(baselineRows, 'baseline', baselineWorkload(label), connections);
      const m = find(rows, label, me, connections);
      const r = find(rows, label, refresh, connections);
      const ok = (x: Row | undefined) => x !== undefined && clean(x);
      lines.push(
        `| ${label} | ${connections} | ${ok(m) ? m?.rps : '–'} | ${ratio(m, b, 'rps')} | ${ratio(m, b, 'serverUs')} | ${ratio(b, m, 'mainUs')} | ${ok(r) ? r?.rps : '–'} | ${ok(r) ? cell(r?.serverUs ?? Number.NaN) : '–'} | ${ok(r) ? cell(r?.mainUs ?? Number.NaN) : '–'} | ${ok(r) ? cell(r?.storeUs ?? Number.NaN) : '–'} |`,
      );
    }
  }

  if (probes.length > 0) {
    const [idle, loaded, logins] = probes as [Row, Row, Row];
    lines.push('');
    lines.push('| event loop: GET /api/me/ at 1 connection, default store | p50 ms | p99 ms |');
    lines.push('| --- | ---: | ---: |');
    if (probes.every(clean)) {
      lines.push(`| idle | ${idle.p50} | ${idle.p99} |`);
      lines.push(`| during ${logins.rps} logins/s (20 connections) | ${loaded.p50} | ${loaded.p99} |`);
      lines.push(`| p99 ratio loaded / idle | | ${(loaded.p99 / Math.max(idle.p99, 1)).toFixed(1)} |`);
    } else {
      lines.push('', table(probes));
    }
  } else {
    lines.push('', 'Event-loop check: not run (it runs on the default store, sqlite, not selected).');
  }
  const failed = [...baselineRows, ...rows, ...probes].filter((r) => !clean(r));
  if (failed.length > 0) {
    lines.push(
      '',
      `${failed.length} row(s) failed or crashed: ${failed.map((r) => `${r.store} ${r.workload} @${r.connections}`).join('; ')}.`,
    );
    process.exitCode = 1;
  }
  lines.push('', `Stores: ${stores.join(', ')}. Took ${Math.round((performance.now() - started) / 1000)} s.`);
  process.stdout.write(`${lines.join('\n')}\n`);
}

/**
 * The mixed load for `soakSeconds` on the default store, sampling server RSS and the SQLite
 * files' size. To see the file level off within minutes instead of within a refresh lifetime,
 * the refresh lifetime is 30 s and expired rows are purged every 15 s.
 */
async function soakDefaultStore(secret: string): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'bench-server-soak-'));
  const port = await freePort();
  const server = startServer(`sqlite://${join(dir, 'auth.sqlite')}`, port, secret, {
    SQLITE_PURGE_INTERVAL: '15',
  });
  try {
    const prepared = await prepare(`http://127.0.0.1:${port}`, server, undefined);
    const fileBytes = () =>
      ['auth.sqlite', 'auth.sqlite-wal'].reduce((sum, name) => {
        try {
          return sum + statSync(join(dir, name)).size;
        } catch {
          return sum;
        }
      }, 0);
    const samples: { t: number; rss: number; mib: number }[] = [];
    const t0 = Date.now();
    const timer = setInterval(() => {
      samples.push({
        t: Math.round((Date.now() - t0) / 1000),
        rss: rssMiB(server.pid),
        mib: fileBytes() / 2 ** 20,
      });
    }, 10_000);
    // Each connection's session is refreshed every few requests, well within the 30 s lifetime;
    // refreshed access tokens are not fed back, so the access lifetime (3600 s) must outlast the soak.
    const take = await prepared.sessions(10);
    const { result, serverCpuMs } = await drive(
      prepared.target,
      10,
      builder('mixed', prepared, take),
      soakSeconds,
    );
    clearInterval(timer);
    const lines = [
      `Soak: ${soakSeconds} s of the mixed load at 10 connections on the default store, refresh lifetime 30 s, expired rows purged every 15 s (after a 60 s grace), so the file must level off.`,
      result.non2xx + result.errors + result.timeouts === 0
        ? `Requests: ${result.requests.total}, ${Math.round(result.requests.average)} req/s, server CPU ${cell((serverCpuMs * 1000) / result.requests.total)} µs per request, no non-2xx answer, no error.`
        : `Requests: ${result.requests.total}, FAILED: ${result.non2xx} non-2xx answers, ${result.errors + result.timeouts} errors (no throughput figure).`,
      '',
      '| t s | server RSS MiB | SQLite files MiB |',
      '| ---: | ---: | ---: |',
      ...samples.map((s) => `| ${s.t} | ${s.rss} | ${s.mib.toFixed(1)} |`),
    ];
    if (result.non2xx + result.errors + result.timeouts > 0) process.exitCode = 1;
    process.stdout.write(`${lines.join('\n')}\n`);
  } finally {
    await stopProcess(server);
    rmSync(dir, { recursive: true, force: true });
  }
}

await main();
