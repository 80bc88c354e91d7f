/**
 * Scale-out benchmark: the built server on a throwaway local Redis, as one process
 * (`dist/main.js`) and as `node:cluster` workers (`dist/cluster.js`), driven by autocannon
 * for GET /api/me/ (JWT verification and a user read) and POST /api/refresh/ (every
 * request rotates its own token: one Lua script, two writes).
 *
 *   npm run build && npx tsx bench/server/redis-scale.ts                 # 1 and 2 processes, 5 s runs
 *   npx tsx bench/server/redis-scale.ts --workers 1,2,4 --duration 10 --connections 100
 *
 * Needs redis-server. The load generator runs on the same machine as the servers and
 * Redis, so on a small machine it takes a share of the cores it measures.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { cpus, totalmem } from 'node:os';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import autocannon from 'autocannon';
import { freePort, startRedisServer } from '../../packages/token-auth/test/helpers/redis-server.js';
import { stopProcess } from '../../packages/token-auth/test/helpers/stop-process.js';
import { login, meRequest, PASSWORD, type Pair, post, refreshRequest } from './support.js';

const { values: args } = parseArgs({
  options: {
    workers: { type: 'string', default: '1,2' },
    duration: { type: 'string', default: '5' },
    connections: { type: 'string', default: '50' },
    users: { type: 'string', default: '200' },
  },
});
const workerCounts = String(args.workers).split(',').map(Number);
const durationSeconds = Number(args.duration);
const connections = Number(args.connections);
const userCount = Number(args.users);
const ADMIN_EMAIL = 'admin@bench.example';
const dist = (file: string) =>
  fileURLToPath(new URL(`../../examples/koa-server/dist/${file}`, import.meta.url));

interface Row {
  processes: number;
  workload: string;
  rps: number;
  p50: number;
  p99: number;
  errors: number;
  /** Cores used on average during the run by the server processes and by Redis. */
  serverCores: number;
  redisCores: number;
}

const TICKS_PER_SECOND = 100; // USER_HZ on Linux

/** CPU seconds (user + system) used so far by `pid` and its direct children (cluster workers). */
function cpuSeconds(pid: number | undefined): number {
  if (pid === undefined) return Number.NaN;
  const ticks = (stat: string) => {
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return { ppid: Number(fields[1]), ticks: Number(fields[11]) + Number(fields[12]) };
  };
  let total = 0;
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = ticks(readFileSync(`/proc/${entry}/stat`, 'utf8'));
      if (Number(entry) === pid || stat.ppid === pid) total += stat.ticks;
    } catch {
      // the process ended meanwhile
    }
  }
  return total / TICKS_PER_SECOND;
}

async function waitHealthy(base: string, child: ChildProcess): Promise<void> {
  const deadline = Date.now() + 30_000;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`the server exited with ${child.exitCode}`);
    try {
      if ((await fetch(`${base}/healthz`)).status === 200) return;
    } catch {
      // not listening yet
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`${base} did not become healthy`);
}

async function inBatches<T>(items: T[], size: number, run: (item: T) => Promise<void>): Promise<void> {
  for (let i = 0; i < items.length; i += size) await Promise.all(items.slice(i, i + size).map(run));
}

async function measure(
  target: { base: string; serverPid: number | undefined; redisPid: number | undefined },
  processes: number,
  workload: string,
  requests: () => autocannon.Request[],
): Promise<Row> {
  const { base } = target;
  await autocannon({ url: base, connections, duration: 1, requests: requests() }); // warm-up
  const before = { server: cpuSeconds(target.serverPid), redis: cpuSeconds(target.redisPid), at: Date.now() };
  const result = await autocannon({
    url: base,
    connections,
    duration: durationSeconds,
    requests: requests(),
  });
  const seconds = (Date.now() - before.at) / 1000;
  const row = {
    processes,
    workload,
    rps: Math.round(result.requests.average),
    p50: result.latency.p50,
    p99: result.latency.p99,
    errors: result.errors + result.timeouts + result.non2xx,
    serverCores: (cpuSeconds(target.serverPid) - before.server) / seconds,
    redisCores: (cpuSeconds(target.redisPid) - before.redis) / seconds,
  };
  process.stderr.write(`${processes} process(es), ${workload}: ${row.rps} req/s\n`);
  return row;
}

async function runWith(workers: number): Promise<Row[]> {
  const redis = await startRedisServer();
  const port = await freePort();
  const base = `http://127.0.0.1:${port}`;
  const entry = workers === 1 ? dist('main.js') : dist('cluster.js');
  const server = spawn(process.execPath, [entry], {
    env: {
      ...process.env,
      NODE_ENV: 'production',
      HOST: '127.0.0.1',
      PORT: String(port),
      // One process is dist/main.js alone: with WORKERS set it would start the cluster
      // launcher (spawn leaves out variables whose value is undefined).
      WORKERS: workers === 1 ? undefined : String(workers),
      DATABASE_URL: redis.url(0),
      JWT_SECRET: randomBytes(48).toString('base64url'),
      ADMIN_EMAIL,
      ADMIN_PASSWORD: PASSWORD,
      LOG_LEVEL: 'warn',
    },
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  try {
    await waitHealthy(base, server);
    // With two workers, wait until both listen (each answers health checks).
    await new Promise((resolve) => setTimeout(resolve, workers === 1 ? 0 : 1_000));
    const admin = await login(base, ADMIN_EMAIL);
    const settings = await post(
      base,
      '/api/admin/settings/',
      { access_token_lifetime: 3600 },
      admin.access_token,
      'PUT',
    );
    if (settings.status !== 200) throw new Error(`settings: ${settings.status}`);

    const emails = Array.from({ length: userCount }, (_, i) => `user${i}@bench.example`);
    await inBatches(emails, 10, async (email) => {
      const response = await post(base, '/api/register/', { email, password: PASSWORD });
      if (response.status !== 201) throw new Error(`register: ${response.status}`);
    });
    const sessions: Pair[] = [];
    await inBatches(emails, 10, async (email) => {
      sessions.push(await login(base, email));
    });
    const accessTokens = sessions.map((session) => session.access_token);
    const pool = sessions.map((session) => session.refresh_token);

    const target = { base, serverPid: server.pid, redisPid: redis.pid };
    return [
      await measure(target, workers, 'GET /api/me/', () => [meRequest(accessTokens)]),
      await measure(target, workers, 'POST /api/refresh/', () => [refreshRequest(pool)]),
    ];
  } finally {
    await stopProcess(server);
    await redis.stop();
  }
}

const rows: Row[] = [];
for (const workers of workerCounts) rows.push(...(await runWith(workers)));

const lines = [
  `Machine: ${cpus().length} x ${cpus()[0]?.model ?? 'cpu'}, ${Math.round(totalmem() / 2 ** 30)} GiB, Node ${process.version}`,
  `Runs: ${durationSeconds} s after a 1 s warm-up, ${connections} connections, local redis-server, LOG_LEVEL=warn;`,
  'load generator, server processes and Redis share the machine.',
  '',
  '| processes | workload | req/s | p50 ms | p99 ms | errors | server cores | Redis cores |',
  '| ---: | --- | ---: | ---: | ---: | ---: | ---: | ---: |',
  ...rows.map(
    (r) =>
      `| ${r.processes} | ${r.workload} | ${r.rps} | ${r.p50} | ${r.p99} | ${r.errors} | ${r.serverCores.toFixed(2)} | ${r.redisCores.toFixed(2)} |`,
  ),
];
process.stdout.write(`${lines.join('\n')}\n`);
