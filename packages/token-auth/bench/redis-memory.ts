/**
 * Redis memory taken by the Redis store per user, per session and per `token:<hash>` key
 * (the head's, and each consumed refresh token's, kept until that token's expiry), on the
 * session layout. Printed as a Markdown table.
 *
 *   npx tsx packages/token-auth/bench/redis-memory.ts [users] [rotations]
 *
 * On a throwaway redis-server: creates `users` users (default 10 000), starts one 30-day
 * session each, rotates every session once, then `rotations - 1` more times (default 5 in
 * all), reading INFO memory's used_memory after each step. A figure is a step's growth
 * divided by what it made: a token key is the growth of the later rotations (one key each);
 * a session is that of the start and first rotation (which fills in `previousHash`), less
 * its two token keys. These include the keyspace's dictionaries and expiry entries. The
 * cross-check is the mean MEMORY USAGE of the keys (SCAN over the prefix), which counts a
 * key and its value only. Records are sized as the core writes them: a 97-character
 * argon2id hash, a 111-character browser user agent. The lengths matter: a field longer than
 * Redis's hash-max-listpack-value (64) turns a hash from a compact listpack into a hashtable.
 */

import { setTimeout as sleep } from 'node:timers/promises';
import { createRedisStore } from '../src/stores/redis/index.js';
import { DAY_MS, newHead, newSession, newUser } from '../src/testing/fixtures.js';
import { startRedisServer } from '../test/helpers/redis-server.js';

const USERS = Number(process.argv[2] ?? 10_000);
const ROTATIONS = Number(process.argv[3] ?? 5);
const PREFIX = 'token-auth:';
const BATCH = 100; // calls in flight at a time
const PASSWORD_HASH = `$argon2id$v=19$m=19456,t=2,p=1$${'s'.repeat(22)}$${'h'.repeat(43)}`;
const USER_AGENT =
  'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0.0.0 Safari/537.36';
const now = Date.now();
const expiresAt = now + 30 * DAY_MS;

/** Runs `call(0)` … `call(count - 1)`, BATCH at a time. */
async function each(count: number, call: (i: number) => Promise<unknown>): Promise<void> {
  for (let start = 0; start < count; start += BATCH) {
    await Promise.all(Array.from({ length: Math.min(BATCH, count - start) }, (_, j) => call(start + j)));
  }
}

const server = await startRedisServer();
const store = await createRedisStore(server.url(), { keyPrefix: PREFIX });
try {
  const info = async (section: string, field: string) => {
    const text = await store.client.info(section);
    return text.match(new RegExp(`^${field}:(.*)$`, 'm'))?.[1]?.trim() ?? '?';
  };
  /** used_memory, once the keyspace's incremental rehashing has had time to finish. */
  const usedMemory = async () => {
    await sleep(300);
    return Number(await info('memory', 'used_memory'));
  };

  // Warm-up: loads the scripts and creates the `seq` hash, outside the figures.
  const warm = await store.createUser(newUser('warm-up@example.com', { passwordHash: PASSWORD_HASH }));
  const warmSession = newSession({ userId: warm.id, createdAt: now, expiresAt, userAgent: USER_AGENT });
  await store.startSession(warmSession);
  await store.rotate(warmSession.headHash, newHead(expiresAt), now);

  const base = await usedMemory();
  const ids: number[] = [];
  await each(USERS, async (i) => {
    const user = await store.createUser(newUser(`user${i}@example.com`, { passwordHash: PASSWORD_HASH }));
    ids[i] = user.id;
  });
  const afterUsers = await usedMemory();
  const heads: string[] = [];
  await each(USERS, async (i) => {
    const session = newSession({ userId: ids[i] ?? 0, createdAt: now, expiresAt, userAgent: USER_AGENT });
    await store.startSession(session);
    heads[i] = session.headHash;
  });
  const rotateAll = () =>
    each(USERS, async (i) => {
      const next = newHead(expiresAt);
      const result = await store.rotate(heads[i] ?? '', next, now);
      if (result.status !== 'rotated') throw new Error(`rotate answered ${result.status}`);
      heads[i] = next.hash;
    });
  await rotateAll();
  const afterFirst = await usedMemory();
  for (let k = 1; k < ROTATIONS; k++) await rotateAll();
  const afterAll = await usedMemory();

  // MEMORY USAGE of every key under the prefix, by kind (`user`, `session`, `token`, …).
  const usage = new Map<string, { keys: number; bytes: number }>();
  let cursor = '0';
  do {
    const [next, keys] = await store.client.scan(cursor, 'MATCH', `${PREFIX}*`, 'COUNT', 1000);
    cursor = next;
    const pipeline = store.client.pipeline();
    for (const key of keys) pipeline.memory('USAGE', key, 'SAMPLES', 0);
    const replies = (await pipeline.exec()) ?? [];
    keys.forEach((key, i) => {
      const kind = key.slice(PREFIX.length).split(':')[0] ?? '';
      const entry = usage.get(kind) ?? { keys: 0, bytes: 0 };
      entry.keys += 1;
      entry.bytes += Number(replies[i]?.[1] ?? 0);
      usage.set(kind, entry);
    });
  } while (cursor !== '0');
  const mean = (kind: string) => {
    const entry = usage.get(kind);
    return entry ? entry.bytes / entry.keys : Number.NaN;
  };

  const perToken = (afterAll - afterFirst) / (USERS * (ROTATIONS - 1));
  const rows = [
    ['user (`user:<id>` hash, `email:<key>`)', (afterUsers - base) / USERS, mean('user') + mean('email')],
    [
      'session (`session:<id>` hash, `user-sessions:<userId>` set with its one id)',
      (afterFirst - afterUsers) / USERS - 2 * perToken,
      mean('session') + mean('user-sessions'),
    ],
    ['`token:<hash>` key (head or consumed)', perToken, mean('token')],
  ] as const;

  console.log(`redis-server ${await info('server', 'redis_version')}, Node ${process.version}`);
  console.log(`${USERS} users, one session each, ${ROTATIONS} rotations per session`);
  console.log(
    `keys: ${[...usage].map(([kind, { keys }]) => `${kind} ${keys.toLocaleString('en')}`).join(', ')}`,
  );
  console.log('');
  console.log('| record | bytes (used_memory growth) | bytes (mean MEMORY USAGE) |');
  console.log('| --- | ---: | ---: |');
  for (const [record, grown, measured] of rows) {
    console.log(`| ${record} | ${Math.round(grown)} | ${Math.round(measured)} |`);
  }
} finally {
  await store.close();
  await server.stop();
}
