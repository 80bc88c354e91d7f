/**
 * Refresh (rotation) throughput of the core over createSqliteStore, and how the cost of one
 * refresh grows with the number of rotations a session has already been through.
 *
 * - sequential: one session, each refresh presenting the token the previous one returned;
 * - 10 concurrent: ten sessions refreshing side by side (ten requests in flight);
 * - long session: one session is refreshed `rotations` times first, then the next
 *   `sample` refreshes are timed, next to the first `sample` refreshes of a fresh session;
 * - also the list of a user's sessions and the logout of the long session (which deletes
 *   every token of its family, rotated ones included).
 *
 * Passwords use a cheap scrypt (N = 2^10): logins are set-up here, not what is measured.
 *
 * Run: npx tsx packages/token-auth/bench/keyv-refresh.ts [refreshes] [rotations] [sample]
 */

import { mkdtemp, rm } from 'node:fs/promises';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { createTokenAuth } from '../src/create-token-auth.js';
import { scryptHasher } from '../src/passwords/scrypt-hasher.js';
import { createSqliteStore } from '../src/stores/sqlite.js';

const refreshes = Number(process.argv[2] ?? 3000);
const rotations = Number(process.argv[3] ?? 2000);
const sample = Number(process.argv[4] ?? 500);
const SECRET = 'bench-secret-of-more-than-thirty-two-bytes!!';
const PASSWORD = 'correct horse battery';

const directory = await mkdtemp(join(tmpdir(), 'token-auth-bench-'));
const store = await createSqliteStore({ path: join(directory, 'bench.sqlite'), sweepIntervalMs: 0 });
const auth = createTokenAuth({
  store,
  secret: SECRET,
  throttle: false,
  passwordHasher: scryptHasher({ cost: 2 ** 10 }),
});

/** Logs in (a new session) and returns its refresh token. */
async function newSession(email: string): Promise<string> {
  return (await auth.login({ email, password: PASSWORD })).refreshToken;
}

/** Refreshes `count` times along one chain; returns the last token and the elapsed ms. */
async function refreshChain(token: string, count: number): Promise<{ token: string; ms: number }> {
  let current = token;
  const started = performance.now();
  for (let i = 0; i < count; i++) current = (await auth.refresh(current)).refreshToken;
  return { token: current, ms: performance.now() - started };
}

const lines: string[] = [];
const perSecond = (count: number, ms: number) => Math.round((count * 1000) / ms).toLocaleString('en-US');
const micros = (count: number, ms: number) => ((ms * 1000) / count).toFixed(0);

try {
  const { id: userId } = await auth.register({ email: 'bench@example.com', password: PASSWORD });
  await auth.register({ email: 'other@example.com', password: PASSWORD });

  // Warm-up (JIT, SQLite page cache) on a throw-away user's session.
  await refreshChain(await newSession('other@example.com'), 200);

  const sequential = await refreshChain(await newSession('bench@example.com'), refreshes);
  lines.push(
    `| sequential, one session | ${refreshes} | ${perSecond(refreshes, sequential.ms)} | ${micros(refreshes, sequential.ms)} |`,
  );

  const chains = await Promise.all(Array.from({ length: 10 }, () => newSession('bench@example.com')));
  const perChain = Math.ceil(refreshes / 10);
  const started = performance.now();
  await Promise.all(chains.map((token) => refreshChain(token, perChain)));
  const concurrentMs = performance.now() - started;
  lines.push(
    `| 10 concurrent sessions | ${perChain * 10} | ${perSecond(perChain * 10, concurrentMs)} | ${micros(perChain * 10, concurrentMs)} |`,
  );

  const fresh = await refreshChain(await newSession('bench@example.com'), sample);
  lines.push(
    `| fresh session, first ${sample} | ${sample} | ${perSecond(sample, fresh.ms)} | ${micros(sample, fresh.ms)} |`,
  );
  const warmed = await refreshChain(await newSession('bench@example.com'), rotations);
  const long = await refreshChain(warmed.token, sample);
  lines.push(
    `| session after ${rotations} rotations, next ${sample} | ${sample} | ${perSecond(sample, long.ms)} | ${micros(sample, long.ms)} |`,
  );

  const listStarted = performance.now();
  const sessions = await auth.listSessions(userId);
  const listMs = performance.now() - listStarted;
  const logoutStarted = performance.now();
  await auth.logout(long.token);
  const logoutMs = performance.now() - logoutStarted;

  console.log(
    `keyv-refresh bench: Node ${process.version}, ${cpus().length} × ${cpus()[0]?.model ?? 'unknown CPU'}, SQLite file in a temp dir\n`,
  );
  console.log('| scenario | refreshes | refresh/s | mean µs |');
  console.log('| --- | ---: | ---: | ---: |');
  for (const line of lines) console.log(line);
  console.log(
    `\nlistSessions (${sessions.length} sessions, ${
      refreshes + perChain * 10 + sample * 2 + rotations
    } rotations behind them): ${listMs.toFixed(1)} ms`,
  );
  console.log(`logout of the long session (${rotations + sample + 1} tokens): ${logoutMs.toFixed(1)} ms`);
} finally {
  await store.close();
  await rm(directory, { recursive: true, force: true });
}
