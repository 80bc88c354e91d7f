/**
 * Server benchmark: starts the built reference server on a fresh SQLite file (a child
 * process) and drives it with autocannon from this process. Workloads: GET /api/me/,
 * POST /api/refresh/ (every request rotates its own token), POST /api/login/ and a mixed
 * load, at 10 and 100 connections; plus a bare node:http + jose baseline, an event-loop
 * health check (GET /api/me/ latency idle versus under a login-heavy load), and an
 * optional soak.
 *
 *   npm run bench:server                       # the tables, about 3 minutes
 *   npm run bench:server -- --duration 5       # shorter runs
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
    duration: { type: 'string', default: '10' },
    connections: { type: 'string', default: '10,100' },
    soak: { type: 'string', default: '0' },
    users: { type: 'string', default: '200' },
  },
});
const durationSeconds = Number(args.duration);
const connectionsList = String(args.connections).split(',').map(Number);
const soakSeconds = Number(args.soak);
const userCount = Number(args.users);
const repoRoot = new URL('../../', import.meta.url).pathname;

interface Row {
  workload: string;
  connections: number;
  rps: number;
  p50: number;
  p99: number;
  errors: number;
  rssMiB: number;
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
  return {
    workload,
    connections,
    rps: Math.round(result.requests.average),
    p50: result.latency.p50,
    p99: result.latency.p99,
    errors: result.errors + result.timeouts + result.non2xx,
    rssMiB: rssMiB(pid),
  };
}

function table(rows: Row[]): string {
  const lines = [
    '| workload | connections | req/s | p50 ms | p99 ms | errors | server RSS MiB |',
    '| --- | ---: | ---: | ---: | ---: | ---: | ---: |',
  ];
  for (const r of rows) {
    lines.push(
      `| ${r.workload} | ${r.connections} | ${r.rps} | ${r.p50} | ${r.p99} | ${r.errors} | ${r.rssMiB} |`,
    );
  }
  return lines.join('\n');
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
        await topUp(connections * 3);
        await drive(base, connections, requests(), 1); // warm-up
        await topUp(connections * 3);
        const result = await drive(base, connections, requests(), durationSeconds);
        rows.push(summarize(name, connections, result, server.pid));
        process.stderr.write(`${name} @${connections}: ${rows.at(-1)?.rps} req/s\n`);
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
      await drive(baselineBase, connections, [meRequest(accessTokens)], 1);
      const result = await drive(baselineBase, connections, [meRequest(accessTokens)], durationSeconds);
      baselineRows.push(summarize('baseline: node:http + jose verify', connections, result, baseline.pid));
    }
    baseline.kill('SIGTERM');

    // Event-loop health: GET /api/me/ at one connection, idle and under a login-heavy load.
    const probeSeconds = Math.max(3, Math.round(durationSeconds / 2));
    const idle = await drive(base, 1, [meRequest(accessTokens)], probeSeconds);
    const [loaded, logins] = await Promise.all([
      drive(base, 1, [meRequest(accessTokens)], probeSeconds),
      drive(base, 20, [loginRequest(emails)], probeSeconds),
    ]);

    const lines: string[] = [];
    lines.push(
      `Machine: ${cpus().length} x ${cpus()[0]?.model ?? 'cpu'}, ${Math.round(totalmem() / 2 ** 30)} GiB, Node ${process.version}`,
    );
    lines.push(
      `Runs: ${durationSeconds} s each after a 1 s warm-up; server on a fresh SQLite file, LOG_LEVEL=warn.`,
    );
    lines.push('', table([...rows, ...baselineRows]), '');
    lines.push('| GET /api/me/ versus the baseline | connections | ratio server / baseline req/s |');
    lines.push('| --- | ---: | ---: |');
    for (const b of baselineRows) {
      const me = rows.find((r) => r.workload === 'GET /api/me/' && r.connections === b.connections);
      if (me) lines.push(`| | ${b.connections} | ${(me.rps / b.rps).toFixed(2)} |`);
    }
    lines.push('');
    lines.push('| event loop: GET /api/me/ at 1 connection | p50 ms | p99 ms |');
    lines.push('| --- | ---: | ---: |');
    lines.push(`| idle | ${idle.latency.p50} | ${idle.latency.p99} |`);
    lines.push(
      `| during ${Math.round(logins.requests.average)} logins/s (20 connections) | ${loaded.latency.p50} | ${loaded.latency.p99} |`,
    );
    lines.push(
      `| p99 ratio loaded / idle | | ${(loaded.latency.p99 / Math.max(idle.latency.p99, 1)).toFixed(1)} |`,
    );
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
    `Requests: ${result.requests.total}, ${Math.round(result.requests.average)} req/s, errors ${result.errors + result.timeouts + result.non2xx}.`,
    '',
    '| t s | server RSS MiB | SQLite files MiB |',
    '| ---: | ---: | ---: |',
    ...samples.map((s) => `| ${s.t} | ${s.rss} | ${s.mib.toFixed(1)} |`),
  ];
  process.stdout.write(`${lines.join('\n')}\n`);
}

await main();
