/**
 * Several server processes (the built `dist/main.js`, as deployed) on one shared store: a real
 * Redis, a real PostgreSQL (an empty database the processes migrate at start, at the same
 * time), and one SQLite file. Races spread across processes, sessions ended on one process and
 * seen by the others, a runtime setting change reaching every process, and a process killed
 * with SIGKILL in the middle of a load.
 *
 * Needs the build (`npm test` runs it first), `redis-server` and PostgreSQL's server programs.
 */

import { type ChildProcess, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startPostgresServer } from '../../../packages/token-auth/test/helpers/postgres-server.js';
import { freePort, startRedisServer } from '../../../packages/token-auth/test/helpers/redis-server.js';
import { stopProcess } from '../../../packages/token-auth/test/helpers/stop-process.js';

const MAIN = fileURLToPath(new URL('../dist/main.js', import.meta.url));
const ADAPTERS = ['redis', 'sql'].map((name) =>
  fileURLToPath(new URL(`../../../packages/token-auth/dist/${name}.js`, import.meta.url)),
);
const SECRET = randomBytes(48).toString('base64url');
const ADMIN = { email: 'admin@multi.example', password: 'admin-password-1' };
const PASSWORD = 'user-password-1';
/** The core's default settingsCacheTtlMs: the bound within which a change reaches every process. */
const SETTINGS_BOUND_MS = 1_000;
/** Extra time allowed on top of the bound for scheduling on a loaded two-core machine. */
const SLACK_MS = 4_000;

interface ServerProcess {
  base: string;
  child: ChildProcess;
  output: () => string;
}

interface Pair {
  access_token: string;
  refresh_token: string;
}

let emailCount = 0;

const freshEmail = (tag: string) => `${tag}-${++emailCount}@multi.example`;

async function startServer(
  databaseUrl: string,
  started: ServerProcess[],
  extraEnv: Record<string, string> = {},
): Promise<ServerProcess> {
  const port = await freePort();
  const child = spawn(process.execPath, [MAIN], {
    env: {
      ...process.env,
      NODE_ENV: 'production',
      HOST: '127.0.0.1',
      PORT: String(port),
      DATABASE_URL: databaseUrl,
      JWT_SECRET: SECRET,
      ADMIN_EMAIL: ADMIN.email,
      ADMIN_PASSWORD: ADMIN.password,
      LOG_LEVEL: 'warn',
      ...extraEnv,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  const keep = (chunk: Buffer) => {
    output = (output + chunk.toString()).slice(-4000);
  };
  child.stdout?.on('data', keep);
  child.stderr?.on('data', keep);
  const server = { base: `http://127.0.0.1:${port}`, child, output: () => output };
  started.push(server);
  const deadline = Date.now() + 20_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`server exited with ${child.exitCode}:\n${output}`);
    try {
      if ((await fetch(`${server.base}/healthz`)).status === 200) return server;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) throw new Error(`server did not become healthy:\n${output}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

const stopServer = (server: ServerProcess): Promise<void> => stopProcess(server.child);

function post(base: string, path: string, body: unknown, token?: string): Promise<Response> {
  const headers: Record<string, string> = { 'content-type': 'application/json' };
  if (token) headers.authorization = `Bearer ${token}`;
  return fetch(base + path, { method: 'POST', headers, body: JSON.stringify(body) });
}

async function register(base: string, email: string): Promise<void> {
  const response = await post(base, '/api/register/', { email, password: PASSWORD });
  expect(response.status, `register on ${base}`).toBe(201);
}

async function login(base: string, email: string, password = PASSWORD): Promise<Pair> {
  const response = await post(base, '/api/login/', { email, password });
  expect(response.status, `login on ${base}`).toBe(200);
  return (await response.json()) as Pair;
}

/** `exp - iat` of an access token: the access lifetime in force when it was issued. */
function lifetimeOf(accessToken: string): number {
  const payload = JSON.parse(Buffer.from(accessToken.split('.')[1] ?? '', 'base64url').toString()) as {
    iat: number;
    exp: number;
  };
  return payload.exp - payload.iat;
}

/** A shared store the server processes are pointed at. */
interface Backend {
  url: string;
  stop(): Promise<void> | void;
}

const BACKENDS: readonly [string, () => Promise<Backend>][] = [
  [
    'one Redis',
    async () => {
      const redis = await startRedisServer();
      return { url: redis.url(0), stop: () => redis.stop() };
    },
  ],
  [
    'one PostgreSQL database, migrated by the processes themselves',
    async () => {
      const postgres = await startPostgresServer();
      return { url: postgres.url(), stop: () => postgres.stop() };
    },
  ],
  [
    'one SQLite file',
    async () => {
      const dir = mkdtempSync(join(tmpdir(), 'multi-process-'));
      return {
        url: `sqlite://${join(dir, 'auth.sqlite')}`,
        stop: () => rmSync(dir, { recursive: true, force: true }),
      };
    },
  ],
];

beforeAll(() => {
  for (const file of [MAIN, ...ADAPTERS]) {
    if (!existsSync(file)) throw new Error(`${file} is missing: run "npm run build" first (npm test does)`);
  }
});

describe.each(BACKENDS)('three server processes on %s', (_name, startBackend) => {
  let backend: Backend;
  const servers: ServerProcess[] = [];
  const started: ServerProcess[] = [];
  /** The process that serves request `i` of a batch: round-robin. */
  const spread = (i: number): ServerProcess => servers[i % servers.length] as ServerProcess;

  beforeAll(async () => {
    backend = await startBackend();
    servers.push(...(await Promise.all([1, 2, 3].map(() => startServer(backend.url, started)))));
  });

  afterAll(async () => {
    await Promise.all(started.map(stopServer));
    await backend?.stop();
  });

  it('let exactly one of concurrent refreshes with one token succeed, wherever they land', async () => {
    const email = freshEmail('refresh-race');
    await register(spread(0).base, email);
    const { refresh_token } = await login(spread(1).base, email);

    const statuses = await Promise.all(
      Array.from(
        { length: 30 },
        async (_, i) => (await post(spread(i).base, '/api/refresh/', { refresh_token })).status,
      ),
    );

    expect(statuses.filter((status) => status === 200)).toHaveLength(1);
    expect(statuses.filter((status) => status === 401)).toHaveLength(29);
  });

  it('rotate one session alternately on every process', async () => {
    const email = freshEmail('alternate');
    await register(spread(0).base, email);
    let { refresh_token } = await login(spread(0).base, email);
    for (let i = 0; i < 9; i++) {
      const response = await post(spread(i).base, '/api/refresh/', { refresh_token });
      expect(response.status, `refresh ${i} on ${spread(i).base}`).toBe(200);
      ({ refresh_token } = (await response.json()) as Pair);
    }
  });

  it('end the session everywhere when one process sees a reuse', async () => {
    const email = freshEmail('reuse');
    await register(spread(0).base, email);
    const first = await login(spread(0).base, email);
    const second = (await (
      await post(spread(1).base, '/api/refresh/', { refresh_token: first.refresh_token })
    ).json()) as Pair;
    expect((await post(spread(2).base, '/api/refresh/', { refresh_token: first.refresh_token })).status).toBe(
      401,
    );
    expect(
      (await post(spread(0).base, '/api/refresh/', { refresh_token: second.refresh_token })).status,
    ).toBe(401);
    const sessions = await fetch(`${spread(1).base}/api/sessions/`, {
      headers: { authorization: `Bearer ${second.access_token}` },
    });
    expect(((await sessions.json()) as { sessions: unknown[] }).sessions).toEqual([]);
  });

  it('end a session logged out on one process for the others', async () => {
    const email = freshEmail('logout');
    await register(spread(0).base, email);
    const pair = await login(spread(1).base, email);
    expect((await post(spread(2).base, '/api/logout/', { refresh_token: pair.refresh_token })).status).toBe(
      200,
    );
    expect((await post(spread(0).base, '/api/refresh/', { refresh_token: pair.refresh_token })).status).toBe(
      401,
    );
  });

  it('let exactly one of concurrent registrations of one email succeed, wherever they land', async () => {
    const email = freshEmail('register-race');

    const answers = await Promise.all(
      Array.from({ length: 12 }, async (_, i) => {
        const variant = i % 2 === 0 ? email : email.toUpperCase();
        const response = await post(spread(i).base, '/api/register/', { email: variant, password: PASSWORD });
        return { status: response.status, body: (await response.json()) as { errors?: { field: string }[] } };
      }),
    );

    expect(answers.filter((answer) => answer.status === 201)).toHaveLength(1);
    // The others are told the email is taken (a 400 naming the field, as the brief's API does).
    const refused = answers.filter(
      (answer) => answer.status === 400 && answer.body.errors?.[0]?.field === 'email',
    );
    expect(refused).toHaveLength(11);
  });

  it('apply a lifetime change made through one process to logins on the others within the cache bound', async () => {
    const email = freshEmail('settings');
    await register(spread(0).base, email);
    const admin = await login(spread(0).base, ADMIN.email, ADMIN.password);
    const before = lifetimeOf((await login(spread(1).base, email)).access_token);
    // Both other processes now hold the old settings in their cache.
    expect(lifetimeOf((await login(spread(2).base, email)).access_token)).toBe(before);
    const wanted = before === 47 ? 48 : 47;

    const response = await fetch(`${spread(0).base}/api/admin/settings/`, {
      method: 'PUT',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${admin.access_token}` },
      body: JSON.stringify({ access_token_lifetime: wanted }),
    });
    expect(response.status).toBe(200);

    const deadline = Date.now() + SETTINGS_BOUND_MS + SLACK_MS;
    for (const other of [spread(1), spread(2)]) {
      let seen = before;
      while (seen !== wanted && Date.now() < deadline) {
        seen = lifetimeOf((await login(other.base, email)).access_token);
      }
      expect(seen, `access lifetime of a login on ${other.base}`).toBe(wanted);
    }
  });

  it('lose nothing acknowledged when a process is killed with SIGKILL in the middle of a load', async () => {
    const victim = await startServer(backend.url, started);
    const all = [...servers, victim];
    const on = (i: number) => all[i % all.length] as ServerProcess;

    // Sessions to refresh during the load.
    const seeded = Array.from({ length: 8 }, () => freshEmail('seeded'));
    await Promise.all(seeded.map((email, i) => register(on(i).base, email)));
    const sessions = await Promise.all(seeded.map((email, i) => login(on(i).base, email)));

    interface Outcome {
      kind: 'register' | 'login' | 'refresh';
      email?: string;
      sent?: string;
      status: number | 'no answer';
      pair?: Pair;
    }
    let victimAnswers = 0;
    let killed: Promise<void> | undefined;
    const send = async (i: number, kind: Outcome['kind'], body: Record<string, string>): Promise<Outcome> => {
      const target = on(i);
      const base: Omit<Outcome, 'status'> = { kind, email: body.email, sent: body.refresh_token };
      try {
        const response = await post(target.base, `/api/${kind}/`, body);
        const pair = response.status === 200 ? ((await response.json()) as Pair) : undefined;
        if (target === victim && ++victimAnswers === 2) {
          // The victim has answered: the rest of its share is in flight. Kill it now.
          killed = new Promise((resolve) => victim.child.once('exit', () => resolve()));
          victim.child.kill('SIGKILL');
        }
        return { ...base, status: response.status, ...(pair ? { pair } : {}) };
      } catch {
        return { ...base, status: 'no answer' };
      }
    };

    const requests: Promise<Outcome>[] = [];
    for (let i = 0; i < 40; i++) {
      requests.push(send(i, 'register', { email: freshEmail('load'), password: PASSWORD }));
    }
    for (let i = 0; i < 16; i++) {
      requests.push(send(i + 1, 'login', { email: seeded[i % seeded.length] as string, password: PASSWORD }));
    }
    sessions.forEach((session, i) => {
      requests.push(send(i + 2, 'refresh', { refresh_token: session.refresh_token }));
    });
    const outcomes = await Promise.all(requests);
    await killed;

    expect(victim.child.signalCode).toBe('SIGKILL');
    expect(outcomes.some((outcome) => outcome.status === 'no answer')).toBe(true);
    expect(outcomes.some((outcome) => outcome.status !== 'no answer')).toBe(true);
    expect(outcomes.filter((outcome) => typeof outcome.status === 'number' && outcome.status >= 500)).toEqual(
      [],
    );

    const survivor = (i: number) => spread(i).base;

    // Every acknowledged registration can log in.
    const registered = outcomes.filter((outcome) => outcome.kind === 'register' && outcome.status === 201);
    expect(registered.length).toBeGreaterThan(0);
    await Promise.all(registered.map((outcome, i) => login(survivor(i), outcome.email as string)));

    // A registration that got no answer was done entirely or not at all: no half-claimed email.
    const unanswered = outcomes.filter(
      (outcome) => outcome.kind === 'register' && outcome.status === 'no answer',
    );
    for (const [i, outcome] of unanswered.entries()) {
      const retry = await post(survivor(i), '/api/register/', { email: outcome.email, password: PASSWORD });
      expect([201, 400]).toContain(retry.status); // 400: taken, i.e. it was created in full
      await login(survivor(i), outcome.email as string);
    }

    // Every refresh token issued and never presented refreshes exactly once.
    const presented = new Set(outcomes.map((outcome) => outcome.sent).filter(Boolean));
    const issued = outcomes.flatMap((outcome) => (outcome.pair ? [outcome.pair.refresh_token] : []));
    const unused = issued.filter((token) => !presented.has(token));
    expect(unused.length).toBeGreaterThan(0);
    const first = await Promise.all(
      unused.map(
        async (refresh_token, i) => (await post(survivor(i), '/api/refresh/', { refresh_token })).status,
      ),
    );
    expect(first.every((status) => status === 200)).toBe(true);

    // A token presented to the victim without an answer is either still current or rotated: never an error.
    const inDoubt = outcomes.filter(
      (outcome) => outcome.kind === 'refresh' && outcome.status === 'no answer',
    );
    for (const [i, outcome] of inDoubt.entries()) {
      const status = (await post(survivor(i), '/api/refresh/', { refresh_token: outcome.sent })).status;
      expect([200, 401]).toContain(status);
    }

    // The store is readable through every survivor.
    const admin = await login(survivor(0), ADMIN.email, ADMIN.password);
    for (const server of servers) {
      const settings = await fetch(`${server.base}/api/admin/settings/`, {
        headers: { authorization: `Bearer ${admin.access_token}` },
      });
      expect(settings.status).toBe(200);
    }
  });
});

describe('WORKERS=2 on the default SQLite file', () => {
  const started: ServerProcess[] = [];
  let dir: string;
  let server: ServerProcess;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'workers-'));
    server = await startServer(`sqlite://${join(dir, 'auth.sqlite')}`, started, { WORKERS: '2' });
  });

  afterAll(async () => {
    await Promise.all(started.map(stopServer));
    rmSync(dir, { recursive: true, force: true });
  });

  it('serves from a cluster whose workers rotate a token exactly once between them', async () => {
    const email = freshEmail('workers');
    await register(server.base, email);
    const { refresh_token } = await login(server.base, email);
    const statuses = await Promise.all(
      Array.from(
        { length: 20 },
        async () => (await post(server.base, '/api/refresh/', { refresh_token })).status,
      ),
    );
    expect(statuses.filter((status) => status === 200)).toHaveLength(1);
  });

  it('stops every worker on SIGTERM', async () => {
    await stopServer(server);
    expect(server.child.exitCode).toBe(0);
  });
});
