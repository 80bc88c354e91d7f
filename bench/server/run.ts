/**
 * Server benchmark: starts the built reference server on a fresh SQLite file (a child
 * process) and drives it with autocannon from this process. Workloads: GET /api/me/,
 * POST /api/refresh/ (every request rotates its own token), POST /api/login/ and a mixed
 * load, at 10 and 100 connections; plus a bare node:http + jose baseline, an event-loop
 * health check (GET /api/me/ latency idle versus under a login-heavy load), and an
 * optional soak.
 *
 * Every request comes from 127.0.0.1, one login-throttling key, so the server runs with
 * LOGIN_MAX_FAILURES_PER_CLIENT raised (the output says so): with the default of 100, logins
 * still in flight count as failures and 100 connections get 429s. Non-2xx answers and
 * transport errors have their own columns; a row with any of them is marked and shows no
 * throughput figure. A row that throws is reported as crashed and the run goes on; the
 * process then exits 1.
 *
 *   npm run bench:server                       # the tables, about 3 minutes
 *   npm run bench:server -- --duration 5       # shorter runs
 *   npm run bench:server -- --smoke            # about 1 s per row at 2 and 8 connections (CI)
 *   npm run bench:server -- --soak 180         # 3-minute soak of the mixed load
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { cpus, tmpdir, totalmem } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import autocannon from 'autocannon';
import { freePort } from '../../packages/token-auth/test/helpers/redis-server.js';
import { login, loginRequest, meRequest, PASSWORD, post, refreshRequest, waitFor } from './support.js';

const { values: args } = parseArgs({
  options: {
    duration: { type: 'string' },
    connections: { type: 'string' },
    soak: { type: 'string', default: '0' },
    users: { type: 'string' },
    smoke: { type: 'boolean', default: false },
  },
});
const smoke = args.smoke === true;
const durationSeconds = Number(args.duration ?? (smoke ? '1' : '10'));
const warmUpSeconds = smoke ? 0 : 1;
const connectionsList = String(args.connections ?? (smoke ? '2,8' : '10,100'))
  .split(',')
  .map(Number);
const soakSeconds = Number(args.soak);
const userCount = Number(args.users ?? (smoke ? '20' : '200'));
const repoRoot = new URL('../../', import.meta.url).pathname;

/**
 * The per-client login limit of the bench server. Every request comes from one address, and
 * the throttle counts a login as a failure until it succeeds, so up to `connections` logins in
 * flight look like failures. A limit this high keeps the bookkeeping (counters hit, reset) but
 * never refuses; real clients come from many addresses.
 */
const BENCH_LOGIN_MAX_FAILURES_PER_CLIENT = 1_000_000;

interface Row {
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
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const match = /VmRSS:\s+(\d+) kB/.exec(status);
  return match ? Math.round(Number(match[1]) / 1024) : Number.NaN;
}

type Request = autocannon.Request;

async function drive(
  url: string,
  connections: number,
  requests: Request[],
  seconds: number,
): Promise<autocannon.Result> {
  return autocannon({ url, connections, duration: seconds, requests });
}

function summarize(
  workload: string,
  connections: number,
  result: autocannon.Result,
  pid: number | undefined,
): Row {
  const non2xx: Record<string, number> = {};
  for (const [status, stats] of Object.entries(result.statusCodeStats ?? {})) {
    const count = stats?.count ?? 0;
    if (!status.startsWith('2') && count > 0) non2xx[status] = count;
  }
  // autocannon counts non-2xx without a breakdown when it has no status stats.
  if (Object.keys(non2xx).length === 0 && result.non2xx > 0) non2xx['non-2xx'] = result.non2xx;
  return {
    workload,
    connections,
    rps: Math.round(result.requests.average),
    p50: result.latency.p50,
    p99: result.latency.p99,
    non2xx,
    errors: result.errors + result.timeouts,
    rssMiB: rssMiB(pid),
    completed: result.requests.total,
  };
}

function crashedRow(workload: string, connections: number, error: unknown): Row {
  const message = (error instanceof Error ? error.message : String(error)).split('\n')[0] ?? '';
  return {
    workload,
    connections,
    rps: 0,
    p50: 0,
    p99: 0,
    non2xx: {},
    errors: 0,
    rssMiB: Number.NaN,
    completed: 0,
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

function table(rows: Row[]): string {
  const lines = [
    '| workload | connections | req/s | p50 ms | p99 ms | non-2xx | errors | server RSS MiB |',
    '| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |',
  ];
  for (const r of rows) {
    if (r.crashed !== undefined) {
      lines.push(`| ${r.workload} | ${r.connections} | **crashed**: ${r.crashed} | | | | | |`);
    } else if (!clean(r)) {
      // Failed answers are fast: counting them would inflate the figure, so none is given.
      lines.push(
        `| ${r.workload} | ${r.connections} | **failed** (${failure(r)}) | – | – | ${non2xxText(r)} | ${r.errors} | ${r.rssMiB} |`,
      );
    } else {
      lines.push(
        `| ${r.workload} | ${r.connections} | ${r.rps} | ${r.p50} | ${r.p99} | 0 | 0 | ${r.rssMiB} |`,
      );
    }
  }
  return lines.join('\n');
}

/** Runs one row, turning a throw into a crashed row so that the other rows still run. */
async function row(
  workload: string,
  connections: number,
  run: () => Promise<autocannon.Result>,
  pid: number | undefined,
): Promise<Row> {
  let result: Row;
  try {
    result = summarize(workload, connections, await run(), pid);
  } catch (error) {
    result = crashedRow(workload, connections, error);
  }
  const shown =
    result.crashed ??
    (clean(result)
      ? `${result.rps} req/s`
      : `failed: ${result.completed === 0 ? 'no response within the run' : `non-2xx ${non2xxText(result)}, errors ${result.errors}`}`);
  process.stderr.write(`${workload} @${connections}: ${shown}\n`);
  return result;
}

async function main(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'bench-server-'));
  const port = await freePort();
  const base = `http://127.0.0.1:${port}`;
  const secret = randomBytes(48).toString('base64url');
  const adminEmail = 'admin@bench.example';
  const server = spawn(process.execPath, [join(repoRoot, 'examples/koa-server/dist/main.js')], {
    env: {
      ...process.env,
      PORT: String(port),
      HOST: '127.0.0.1',
      DATABASE_URL: `sqlite://${join(dir, 'auth.sqlite')}`,
      JWT_SECRET: secret,
      ADMIN_EMAIL: adminEmail,
      ADMIN_PASSWORD: PASSWORD,
      LOG_LEVEL: 'warn',
      NODE_ENV: 'production',
      LOGIN_MAX_FAILURES_PER_CLIENT: String(BENCH_LOGIN_MAX_FAILURES_PER_CLIENT),
      // The soak shortens the refresh lifetime (below) and purges expired rows often, so that a
      // few minutes show the store file levelling off instead of the hourly purge.
      ...(soakSeconds > 0 ? { SQLITE_PURGE_INTERVAL: '15' } : {}),
    },
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  const children: ChildProcess[] = [server];
  const stop = () => {
    for (const child of children) child.kill('SIGTERM');
  };
  process.on('exit', stop);
  try {
    await waitFor(`${base}/healthz`, server);

    // Long access tokens so that a run never outlives them; the refresh lifetime stays
    // at its default unless soaking (see below).
    const admin = await login(base, adminEmail);
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
    const sessions = [] as { access_token: string; refresh_token: string }[];
    for (let i = 0; i < emails.length; i += 10) {
      sessions.push(...(await Promise.all(emails.slice(i, i + 10).map((email) => login(base, email)))));
    }
    const accessTokens = sessions.map((s) => s.access_token);
    const refreshPool = sessions.map((s) => s.refresh_token);

    if (soakSeconds > 0) {
      await soak(base, server, dir, accessTokens, refreshPool, emails);
      return;
    }

    // autocannon builds each connection's next request ahead of sending it, so a run ends with
    // tokens taken from the pool but never sent (and some in flight): top the pool up with
    // fresh logins before every run that refreshes.
    let nextLogin = 0;
    const topUp = async (target: number) => {
      while (refreshPool.length < target) {
        const batch = Array.from({ length: Math.min(10, target - refreshPool.length) }, () =>
          login(base, emails[nextLogin++ % emails.length] as string),
        );
        refreshPool.push(...(await Promise.all(batch)).map((s) => s.refresh_token));
      }
    };

    // When a run ends, the logins it sent stay queued for a password hash on the server (the
    // connections are gone, the work is not): one more login waits for that queue to drain, so
    // that the next run starts on an idle server.
    const settle = async () => {
      await login(base, emails[0] as string);
    };
    const driveSettled = async (connections: number, requests: Request[], seconds: number) => {
      const result = await drive(base, connections, requests, seconds);
      await settle();
      return result;
    };

    const rows: Row[] = [];
    const mixed = () => [
      ...Array.from({ length: 16 }, () => meRequest(accessTokens)),
      refreshRequest(refreshPool),
      refreshRequest(refreshPool),
      refreshRequest(refreshPool),
      loginRequest(emails),
    ];
    const workloads: [string, () => Request[]][] = [
      ['GET /api/me/', () => [meRequest(accessTokens)]],
      ['POST /api/refresh/', () => [refreshRequest(refreshPool)]],
      ['POST /api/login/', () => [loginRequest(emails)]],
      ['mixed 80% me, 15% refresh, 5% login', mixed],
    ];
    for (const [name, requests] of workloads) {
      for (const connections of connectionsList) {
        const run = async () => {
          if (warmUpSeconds > 0) {
            await topUp(connections * 3);
            await driveSettled(connections, requests(), warmUpSeconds);
          }
          await topUp(connections * 3);
          return driveSettled(connections, requests(), durationSeconds);
        };
        rows.push(await row(name, connections, run, server.pid));
      }
    }

    // Baseline: node:http + jose only, same secret, same tokens.
    const baselinePort = await freePort();
    const baseline = spawn(
      process.execPath,
      [join(repoRoot, 'node_modules/tsx/dist/cli.mjs'), join(repoRoot, 'bench/server/baseline.ts')],
      {
        env: { ...process.env, PORT: String(baselinePort), JWT_SECRET: secret },
        stdio: ['ignore', 'ignore', 'inherit'],
      },
    );
    children.push(baseline);
    const baselineBase = `http://127.0.0.1:${baselinePort}`;
    await waitFor(`${baselineBase}/api/me/`, baseline);
    const baselineRows: Row[] = [];
    for (const connections of connectionsList) {
      const run = async () => {
        if (warmUpSeconds > 0)
          await drive(baselineBase, connections, [meRequest(accessTokens)], warmUpSeconds);
        return drive(baselineBase, connections, [meRequest(accessTokens)], durationSeconds);
      };
      baselineRows.push(await row('baseline: node:http + jose verify', connections, run, baseline.pid));
    }
    baseline.kill('SIGTERM');

    // Event-loop health: GET /api/me/ at one connection, idle and under a login-heavy load.
    const probeSeconds = smoke ? 1 : Math.max(3, Math.round(durationSeconds / 2));
    const idle = await row(
      'event loop: GET /api/me/ idle',
      1,
      () => drive(base, 1, [meRequest(accessTokens)], probeSeconds),
      server.pid,
    );
    const [loaded, logins] = await Promise.all([
      row(
        'event loop: GET /api/me/ during logins',
        1,
        () => drive(base, 1, [meRequest(accessTokens)], probeSeconds),
        server.pid,
      ),
      row(
        'event loop: the logins',
        20,
        () => drive(base, 20, [loginRequest(emails)], probeSeconds),
        server.pid,
      ),
    ]);
    const probes = [idle, loaded, logins];

    const lines: string[] = [];
    lines.push(
      `Machine: ${cpus().length} x ${cpus()[0]?.model ?? 'cpu'}, ${Math.round(totalmem() / 2 ** 30)} GiB, Node ${process.version}`,
    );
    lines.push(
      `Runs: ${durationSeconds} s each${warmUpSeconds > 0 ? ` after a ${warmUpSeconds} s warm-up` : ', no warm-up'}${smoke ? ' (--smoke: a check that every row runs, not a measurement)' : ''}; server on a fresh SQLite file, LOG_LEVEL=warn.`,
    );
    lines.push(
      `Logins all come from 127.0.0.1, one throttling key: the server runs with LOGIN_MAX_FAILURES_PER_CLIENT=${BENCH_LOGIN_MAX_FAILURES_PER_CLIENT} (default 100, which counts logins in flight until they succeed and would answer 429s at 100 connections). The throttle's counters are still hit and reset on every login.`,
    );
    lines.push(
      'A row with non-2xx answers or errors is marked failed and gives no req/s: fast failures are not throughput.',
    );
    lines.push('', table([...rows, ...baselineRows]), '');
    lines.push('| GET /api/me/ versus the baseline | connections | ratio server / baseline req/s |');
    lines.push('| --- | ---: | ---: |');
    for (const b of baselineRows) {
      const me = rows.find((r) => r.workload === 'GET /api/me/' && r.connections === b.connections);
      if (me && clean(me) && clean(b)) lines.push(`| | ${b.connections} | ${(me.rps / b.rps).toFixed(2)} |`);
      else lines.push(`| | ${b.connections} | – (a row failed) |`);
    }
    lines.push('');
    lines.push('| event loop: GET /api/me/ at 1 connection | p50 ms | p99 ms |');
    lines.push('| --- | ---: | ---: |');
    if (probes.every(clean)) {
      lines.push(`| idle | ${idle.p50} | ${idle.p99} |`);
      lines.push(`| during ${logins.rps} logins/s (20 connections) | ${loaded.p50} | ${loaded.p99} |`);
      lines.push(`| p99 ratio loaded / idle | | ${(loaded.p99 / Math.max(idle.p99, 1)).toFixed(1)} |`);
    } else {
      lines.push('', table(probes));
    }
    const failed = [...rows, ...baselineRows, ...probes].filter((r) => !clean(r));
    if (failed.length > 0) {
      lines.push(
        '',
        `${failed.length} row(s) failed or crashed: ${failed.map((r) => `${r.workload} @${r.connections}`).join('; ')}.`,
      );
      process.exitCode = 1;
    }
    process.stdout.write(`${lines.join('\n')}\n`);
  } finally {
    stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

/** The mixed load for `soakSeconds`, sampling server RSS and the SQLite files' size. */
async function soak(
  base: string,
  server: ChildProcess,
  dir: string,
  accessTokens: string[],
  refreshPool: string[],
  emails: string[],
): Promise<void> {
  const fileBytes = () =>
    ['auth.sqlite', 'auth.sqlite-wal'].reduce((sum, name) => {
      try {
        return sum + statSync(join(dir, name)).size;
      } catch {
        return sum;
      }
    }, 0);
  const samples: { t: number; rss: number; mib: number }[] = [];
  const started = Date.now();
  const timer = setInterval(() => {
    samples.push({
      t: Math.round((Date.now() - started) / 1000),
      rss: rssMiB(server.pid),
      mib: fileBytes() / 2 ** 20,
    });
  }, 10_000);
  // Refreshed access tokens are not fed back, so the access lifetime (3600 s) must outlast the soak.
  const result = await drive(
    base,
    10,
    [
      ...Array.from({ length: 16 }, () => meRequest(accessTokens)),
      refreshRequest(refreshPool),
      refreshRequest(refreshPool),
      refreshRequest(refreshPool),
      loginRequest(emails),
    ],
    soakSeconds,
  );
  clearInterval(timer);
  const lines = [
    `Soak: ${soakSeconds} s of the mixed load at 10 connections, refresh lifetime 30 s, expired rows purged every 15 s (after a 60 s grace), so the file must level off.`,
    result.non2xx + result.errors + result.timeouts === 0
      ? `Requests: ${result.requests.total}, ${Math.round(result.requests.average)} req/s, no non-2xx answer, no error.`
      : `Requests: ${result.requests.total}, FAILED: ${result.non2xx} non-2xx answers, ${result.errors + result.timeouts} errors (no throughput figure).`,
    '',
    '| t s | server RSS MiB | SQLite files MiB |',
    '| ---: | ---: | ---: |',
    ...samples.map((s) => `| ${s.t} | ${s.rss} | ${s.mib.toFixed(1)} |`),
  ];
  process.stdout.write(`${lines.join('\n')}\n`);
}

await main();
