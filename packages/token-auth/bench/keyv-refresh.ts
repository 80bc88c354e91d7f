/**
 * Rotation throughput of the Keyv store on a SQLite file (createKeyvSqliteStore), at the
 * port and through the core:
 *
 * - store.rotate, sequential: one session, each rotation presenting the head the previous
 *   one made; then the same after `rotations` more, to show the cost does not grow with a
 *   session's age;
 * - auth.refresh, sequential and with 10 sessions refreshing side by side, with the user
 *   cache on (the default) and off (`userCacheSize: 0`), to measure what the cache saves;
 * - listSessions and logout of a long session.
 *
 * Each scenario runs on a fresh file. Passwords use a cheap scrypt (N = 2^10): logins are
 * set-up here, not what is measured.
 *
 * Figures on a disk move with its fsync latency (WAL checkpoints); a tmpfs directory shows
 * the CPU cost alone.
 *
 * Run: npx tsx packages/token-auth/bench/keyv-refresh.ts [count] [rotations] [directory]
 */

import { createHash, randomUUID } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { createTokenAuth } from '../src/create-token-auth.js';
import { scryptHasher } from '../src/passwords/scrypt-hasher.js';
import { createKeyvSqliteStore, type KeyvStoreOptions } from '../src/stores/keyv/index.js';

const count = Number(process.argv[2] ?? 3000);
const rotations = Number(process.argv[3] ?? 5000);
const SECRET = 'bench-secret-of-more-than-thirty-two-bytes!!';
const PASSWORD = 'correct horse battery';
const DAY_MS = 86_400_000;

const directory = await mkdtemp(join(process.argv[4] ?? tmpdir(), 'token-auth-bench-'));
let files = 0;
const openStore = (options: KeyvStoreOptions = {}) =>
  createKeyvSqliteStore({ path: join(directory, `bench-${++files}.sqlite`), sweepIntervalMs: 0, ...options });

const hash = () => createHash('sha256').update(randomUUID()).digest('hex');
const rows: string[] = [];
const notes: string[] = [];
const row = (scenario: string, n: number, ms: number) =>
  rows.push(
    `| ${scenario} | ${n} | ${Math.round((n * 1000) / ms).toLocaleString('en-US')} | ${((ms * 1000) / n).toFixed(0)} |`,
  );

/** Rotates one session `n` times from `head`, sequentially; returns the last head and the elapsed ms. */
async function rotateChain(
  store: Awaited<ReturnType<typeof openStore>>,
  head: string,
  n: number,
): Promise<{ head: string; ms: number }> {
  let current = head;
  const started = performance.now();
  for (let i = 0; i < n; i++) {
    const next = { hash: hash(), expiresAt: Date.now() + 30 * DAY_MS };
    const result = await store.rotate(current, next, Date.now());
    if (result.status !== 'rotated') throw new Error(`rotate answered ${result.status}`);
    current = next.hash;
  }
  return { head: current, ms: performance.now() - started };
}

/** store.rotate on one session: fresh, then after `rotations` more. */
async function benchRotate(): Promise<void> {
  const store = await openStore();
  try {
    const now = Date.now();
    const session = {
      id: randomUUID(),
      userId: 1,
      headHash: hash(),
      createdAt: now,
      expiresAt: now + 30 * DAY_MS,
    };
    await store.startSession({ ...session, userAgent: 'bench' });
    const warm = await rotateChain(store, session.headHash, 200);
    const fresh = await rotateChain(store, warm.head, count);
    row('store.rotate, sequential, one session', count, fresh.ms);
    const aged = await rotateChain(store, fresh.head, rotations);
    const late = await rotateChain(store, aged.head, count);
    row(`store.rotate, after ${count + rotations + 200} rotations`, count, late.ms);
  } finally {
    await store.close();
  }
}

/** auth.refresh, sequential and 10 concurrent, with the given store options. */
async function benchRefresh(label: string, options: KeyvStoreOptions): Promise<void> {
  const store = await openStore(options);
  const auth = createTokenAuth({
    store,
    secret: SECRET,
    throttle: false,
    passwordHasher: scryptHasher({ cost: 2 ** 10 }),
  });
  const login = async () =>
    (await auth.login({ email: 'bench@example.com', password: PASSWORD })).refreshToken;
  const chain = async (token: string, n: number) => {
    let current = token;
    for (let i = 0; i < n; i++) current = (await auth.refresh(current)).refreshToken;
    return current;
  };
  try {
    const { id: userId } = await auth.register({ email: 'bench@example.com', password: PASSWORD });
    await chain(await login(), 200); // warm-up
    let started = performance.now();
    const last = await chain(await login(), count);
    row(`auth.refresh, sequential, ${label}`, count, performance.now() - started);
    const tokens = await Promise.all(Array.from({ length: 10 }, login));
    const perChain = Math.ceil(count / 10);
    started = performance.now();
    await Promise.all(tokens.map((token) => chain(token, perChain)));
    row(`auth.refresh, 10 concurrent sessions, ${label}`, perChain * 10, performance.now() - started);
    if (options.userCacheSize === undefined) {
      started = performance.now();
      const sessions = await auth.listSessions(userId);
      const listMs = performance.now() - started;
      started = performance.now();
      await auth.logout(last);
      const logoutMs = performance.now() - started;
      notes.push(
        `listSessions (${sessions.length} sessions): ${listMs.toFixed(1)} ms; logout of a session after ${count} refreshes: ${logoutMs.toFixed(1)} ms`,
      );
    }
  } finally {
    await store.close();
  }
}

try {
  await benchRotate();
  await benchRefresh('user cache on', {});
  await benchRefresh('user cache off', { userCacheSize: 0 });
  console.log(
    `keyv-refresh bench: Node ${process.version}, ${cpus().length} × ${cpus()[0]?.model ?? 'unknown CPU'}, SQLite files in ${process.argv[4] ?? 'the temp dir'}\n`,
  );
  console.log('| scenario | calls | calls/s | mean µs |');
  console.log('| --- | ---: | ---: | ---: |');
  for (const line of rows) console.log(line);
  console.log(`\n${notes.join('\n')}`);
} finally {
  await rm(directory, { recursive: true, force: true });
}
