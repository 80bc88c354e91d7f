/**
 * Throughput of the token-auth core, printed as a Markdown table.
 *
 *   npm run bench -w token-auth
 *
 * Each row runs one operation back to back (one at a time unless noted) for a fixed wall
 * time after a warm-up. The baseline is a hand-written HS256 JWT check on node:crypto
 * (HMAC, constant-time compare, typ/alg/exp checks), measured in the same run, so the cost of
 * jose and of the core's extra checks can be read off directly.
 */

import { createHmac, createSecretKey, timingSafeEqual } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { createTokenAuth } from '../src/create-token-auth.js';
import { MemoryStore } from '../src/stores/memory.js';
import { createSqliteSqlStore } from '../src/stores/sql/index.js';
import { AccessTokens } from '../src/tokens/access-token.js';

const SECRET = 'bench-secret-of-more-than-thirty-two-bytes!!';
const RUN_MS = Number(process.env.BENCH_MS ?? 2000);
const WARMUP_MS = Math.min(500, RUN_MS / 4);

interface Row {
  operation: string;
  opsPerSecond: number;
  meanMicros: number;
  note: string;
}
const rows: Row[] = [];

/** Runs `operation` repeatedly (`concurrency` at a time) for RUN_MS and records its rate. */
async function measure(
  name: string,
  note: string,
  operation: () => Promise<unknown> | unknown,
  concurrency = 1,
) {
  const loop = async (until: number) => {
    let count = 0;
    const worker = async () => {
      while (performance.now() < until) {
        await operation();
        count += 1;
      }
    };
    await Promise.all(Array.from({ length: concurrency }, worker));
    return count;
  };
  await loop(performance.now() + WARMUP_MS);
  const start = performance.now();
  const count = await loop(start + RUN_MS);
  const seconds = (performance.now() - start) / 1000;
  rows.push({
    operation: name,
    opsPerSecond: count / seconds,
    meanMicros: (seconds * 1e6 * concurrency) / count,
    note,
  });
}

/** A minimal HS256 access-token check on node:crypto alone: the floor jose is compared with. */
function handVerify(token: string, key: ReturnType<typeof createSecretKey>, nowSeconds: number): number {
  const [header, payload, signature] = token.split('.');
  if (header === undefined || payload === undefined || signature === undefined) throw new Error('malformed');
  const expected = createHmac('sha256', key).update(`${header}.${payload}`).digest();
  const actual = Buffer.from(signature, 'base64url');
  if (actual.length !== expected.length || !timingSafeEqual(actual, expected))
    throw new Error('bad signature');
  const head = JSON.parse(Buffer.from(header, 'base64url').toString('utf8'));
  if (head.alg !== 'HS256' || head.typ !== 'at+jwt') throw new Error('bad header');
  const claims = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8'));
  if (typeof claims.exp !== 'number' || claims.exp <= nowSeconds) throw new Error('expired');
  return Number(claims.sub);
}

async function main() {
  const farFuture = () => Date.now();
  const signer = new AccessTokens({ secret: SECRET, now: farFuture, cacheSize: 0 });
  const sign = () =>
    signer.sign({ userId: 42, sessionId: crypto.randomUUID(), ttlSeconds: 3600, nowMs: Date.now() });
  const { token } = await sign();

  await measure('sign access token', 'jose SignJWT, HS256, KeyObject imported once', sign);

  const uncached = new AccessTokens({ secret: SECRET, now: Date.now, cacheSize: 0 });
  await measure('verify access token, cache off', 'every call does the full jose check', () =>
    uncached.verify(token),
  );

  // 20 000 distinct tokens cycled through a 1000-entry cache: every call misses.
  const fresh = Array.from({ length: 20_000 }, () => '');
  for (let i = 0; i < fresh.length; i++) fresh[i] = (await sign()).token;
  const firstSight = new AccessTokens({ secret: SECRET, now: Date.now, cacheSize: 1000 });
  let next = 0;
  await measure(
    'verify access token, first sight',
    'cache on, a new token each call (full check + insert)',
    () => firstSight.verify(fresh[next++ % fresh.length] as string),
  );

  const cached = new AccessTokens({ secret: SECRET, now: Date.now, cacheSize: 1000 });
  await measure('verify access token, repeated', 'cache hit: LRU lookup + exp re-check', () =>
    cached.verify(token),
  );

  const key = createSecretKey(Buffer.from(SECRET));
  await measure(
    'baseline: hand-written HS256 verify',
    'node:crypto HMAC + timingSafeEqual + JSON.parse',
    () => handVerify(token, key, Math.floor(Date.now() / 1000)),
  );

  // Login with the default argon2id hasher (19 MiB, t = 2) over the in-memory store.
  const memoryAuth = createTokenAuth({ store: new MemoryStore(), secret: SECRET, throttle: false });
  await memoryAuth.register({ email: 'bench@example.com', password: 'correct horse battery' });
  const login = () => memoryAuth.login({ email: 'bench@example.com', password: 'correct horse battery' });
  await measure('login (argon2id default), 1 at a time', 'MemoryStore; dominated by argon2id', login);
  await measure(
    'login (argon2id default), 4 at a time',
    '4 in flight; argon2 runs on the libuv pool, bounded by the CPU cores',
    login,
    4,
  );

  // Refresh (rotation) on a SQLite file: a chain, each call presenting the token the previous one returned.
  const directory = await mkdtemp(join(tmpdir(), 'token-auth-bench-'));
  const store = await createSqliteSqlStore({
    path: join(directory, 'bench.sqlite'),
    migrate: true,
    purgeIntervalMs: 0,
  });
  try {
    const sqliteAuth = createTokenAuth({ store, secret: SECRET, throttle: false });
    await sqliteAuth.register({ email: 'bench@example.com', password: 'correct horse battery' });
    let refreshToken = (
      await sqliteAuth.login({ email: 'bench@example.com', password: 'correct horse battery' })
    ).refreshToken;
    await measure(
      'refresh (rotation) on createSqliteSqlStore',
      'temp file; one rotate transaction + user read',
      async () => {
        refreshToken = (await sqliteAuth.refresh(refreshToken)).refreshToken;
      },
    );
  } finally {
    await store.close();
    await rm(directory, { recursive: true, force: true });
  }

  const cpu = cpus()[0]?.model ?? 'unknown CPU';
  console.log(`token-auth bench: Node ${process.version}, ${cpus().length} × ${cpu}, ${RUN_MS} ms per row\n`);
  console.log('| operation | ops/s | mean µs/op | note |');
  console.log('| --- | ---: | ---: | --- |');
  for (const row of rows) {
    console.log(
      `| ${row.operation} | ${Math.round(row.opsPerSecond).toLocaleString('en-US')} | ${row.meanMicros.toFixed(1)} | ${row.note} |`,
    );
  }
}

await main();
