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
 * Each figure is the median of `rounds` rounds; the cache-on and cache-off rounds alternate,
 * so that a busy machine slows both alike, and CPU time per call (all threads) is shown
 * beside wall-clock time, as it moves less with the machine's load. Figures on a disk move with its fsync latency
 * (WAL checkpoints); a tmpfs directory shows the CPU cost alone. Passwords use a cheap
 * scrypt (N = 2^10): logins are set-up here, not what is measured.
 *
 * Run: npx tsx packages/token-auth/bench/keyv-refresh.ts [perRound] [rounds] [rotations] [directory]
 */

import { createHash, randomUUID } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { createTokenAuth } from '../src/create-token-auth.js';
import { scryptHasher } from '../src/passwords/scrypt-hasher.js';
import {
  createKeyvSqliteStore,
  type KeyvSqliteStore,
  type KeyvStoreOptions,
} from '../src/stores/keyv/index.js';
import type { TokenAuth } from '../src/types.js';

const perRound = Number(process.argv[2] ?? 500);
const rounds = Number(process.argv[3] ?? 7);
const rotations = Number(process.argv[4] ?? 5000);
const SECRET = 'bench-secret-of-more-than-thirty-two-bytes!!';
const PASSWORD = 'correct horse battery';
const DAY_MS = 86_400_000;

const directory = await mkdtemp(join(process.argv[5] ?? tmpdir(), 'token-auth-bench-'));
const stores: KeyvSqliteStore[] = [];
async function openStore(options: KeyvStoreOptions = {}): Promise<KeyvSqliteStore> {
  const path = join(directory, `bench-${stores.length + 1}.sqlite`);
  const store = await createKeyvSqliteStore({ path, sweepIntervalMs: 0, ...options });
  stores.push(store);
  return store;
}

const hash = () => createHash('sha256').update(randomUUID()).digest('hex');
const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)] ?? 0;
const rows: string[] = [];
/** One round's cost: wall-clock and CPU (every thread of the process, SQLite's included) ms. */
interface Round {
  ms: number;
  cpuMs: number;
}
/** Adds a row from the rounds of `perRound` calls each: medians of wall-clock and CPU time. */
const row = (scenario: string, measured: Round[]) => {
  const ms = median(measured.map((round) => round.ms));
  const cpuMs = median(measured.map((round) => round.cpuMs));
  const perCall = (total: number) => ((total * 1000) / perRound).toFixed(0);
  rows.push(
    `| ${scenario} | ${Math.round((perRound * 1000) / ms).toLocaleString('en-US')} | ${perCall(ms)} | ${perCall(cpuMs)} |`,
  );
};
const timed = async (run: () => Promise<unknown>): Promise<Round> => {
  const cpu = process.cpuUsage();
  const started = performance.now();
  await run();
  const { user, system } = process.cpuUsage(cpu);
  return { ms: performance.now() - started, cpuMs: (user + system) / 1000 };
};

/** A session of the store, rotated along by {@link rotateChain}. */
class Chain {
  head = hash();
  constructor(readonly store: KeyvSqliteStore) {}
  async start(): Promise<this> {
    const now = Date.now();
    await this.store.startSession({
      id: randomUUID(),
      userId: 1,
      headHash: this.head,
      createdAt: now,
      expiresAt: now + 30 * DAY_MS,
      userAgent: 'bench',
    });
    return this;
  }
  async rotate(n: number): Promise<void> {
    for (let i = 0; i < n; i++) {
      const next = { hash: hash(), expiresAt: Date.now() + 30 * DAY_MS };
      const result = await this.store.rotate(this.head, next, Date.now());
      if (result.status !== 'rotated') throw new Error(`rotate answered ${result.status}`);
      this.head = next.hash;
    }
  }
}

/** A core over its own store file, with one user and a way to refresh along sessions. */
async function openAuth(
  options: KeyvStoreOptions,
): Promise<{ auth: TokenAuth; userId: number; login: () => Promise<string> }> {
  const auth = createTokenAuth({
    store: await openStore(options),
    secret: SECRET,
    throttle: false,
    passwordHasher: scryptHasher({ cost: 2 ** 10 }),
  });
  const { id: userId } = await auth.register({ email: 'bench@example.com', password: PASSWORD });
  const login = async () =>
    (await auth.login({ email: 'bench@example.com', password: PASSWORD })).refreshToken;
  return { auth, userId, login };
}

/** Refreshes `n` times along a session; returns its last token. */
async function refreshChain(auth: TokenAuth, token: string, n: number): Promise<string> {
  let current = token;
  for (let i = 0; i < n; i++) current = (await auth.refresh(current)).refreshToken;
  return current;
}

try {
  const chain = await new Chain(await openStore()).start();
  await chain.rotate(200); // warm-up
  const fresh: Round[] = [];
  for (let r = 0; r < rounds; r++) fresh.push(await timed(() => chain.rotate(perRound)));
  row('store.rotate, sequential, one session', fresh);
  await chain.rotate(rotations);
  const aged: Round[] = [];
  for (let r = 0; r < rounds; r++) aged.push(await timed(() => chain.rotate(perRound)));
  row(`store.rotate, the same session ${rotations} rotations later`, aged);

  const variants = [
    { label: 'user cache on (default)', ...(await openAuth({})) },
    { label: 'user cache off', ...(await openAuth({ userCacheSize: 0 })) },
  ].map((variant) => ({ ...variant, sequential: [] as Round[], concurrent: [] as Round[] }));
  const tokens = new Map<string, string[]>();
  for (const variant of variants) {
    tokens.set(variant.label, await Promise.all(Array.from({ length: 11 }, variant.login)));
    await refreshChain(variant.auth, await variant.login(), 200); // warm-up
  }
  for (let r = 0; r < rounds; r++) {
    for (const variant of variants) {
      const [first, ...others] = tokens.get(variant.label) as string[];
      let last = first as string;
      variant.sequential.push(
        await timed(async () => {
          last = await refreshChain(variant.auth, last, perRound);
        }),
      );
      let next: string[] = [];
      variant.concurrent.push(
        await timed(async () => {
          next = await Promise.all(others.map((token) => refreshChain(variant.auth, token, perRound / 10)));
        }),
      );
      tokens.set(variant.label, [last, ...next]);
    }
  }
  for (const variant of variants) {
    row(`auth.refresh, sequential, ${variant.label}`, variant.sequential);
    row(`auth.refresh, 10 concurrent sessions, ${variant.label}`, variant.concurrent);
  }

  const { auth, userId, label } = variants[0] as (typeof variants)[number];
  const [long] = tokens.get(label) as string[];
  let listed = 0;
  const listMs = await timed(async () => {
    listed = (await auth.listSessions(userId)).length;
  });
  const logoutMs = await timed(() => auth.logout(long as string));

  console.log(
    `keyv-refresh bench: Node ${process.version}, ${cpus().length} × ${cpus()[0]?.model ?? 'unknown CPU'}, ` +
      `SQLite files in ${process.argv[5] ?? 'the temp dir'}; median of ${rounds} rounds of ${perRound} calls\n`,
  );
  console.log('| scenario | calls/s | mean µs | CPU µs per call |');
  console.log('| --- | ---: | ---: | ---: |');
  for (const line of rows) console.log(line);
  console.log(
    `\nlistSessions (${listed} sessions): ${listMs.ms.toFixed(1)} ms; ` +
      `logout of a session after ${rounds * perRound} refreshes: ${logoutMs.ms.toFixed(1)} ms`,
  );
} finally {
  await Promise.allSettled(stores.map((store) => store.close()));
  await rm(directory, { recursive: true, force: true });
}
