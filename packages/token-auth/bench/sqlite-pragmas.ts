/**
 * Sequential write throughput of @keyv/sqlite on a file, with its default connection
 * settings (rollback journal, synchronous=FULL: one synced commit per write) and with the
 * pragmas createKeyvSqliteStore sets (WAL, synchronous=NORMAL). Also the throughput of one
 * store operation (`hit`: a read and a write under the per-key mutex) through
 * createKeyvSqliteStore.
 *
 * Run: npx tsx packages/token-auth/bench/sqlite-pragmas.ts [writes]
 */

import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { KeyvSqlite } from '@keyv/sqlite';
import { Keyv } from 'keyv';
import { createKeyvSqliteStore } from '../src/stores/keyv/index.js';

const writes = Number(process.argv[2] ?? 3000);

async function keyvWritesPerSecond(file: string, pragmas: string[]): Promise<number> {
  const adapter = new KeyvSqlite({ uri: `sqlite://${file}` });
  for (const pragma of pragmas) await adapter.query(pragma);
  const keyv = new Keyv(adapter);
  await keyv.set('warm-up', 0);
  const started = performance.now();
  for (let i = 0; i < writes; i++) await keyv.set(`key:${i % 500}`, { count: i, resetAt: i });
  const seconds = (performance.now() - started) / 1000;
  await keyv.disconnect();
  return writes / seconds;
}

async function storeHitsPerSecond(file: string): Promise<number> {
  const store = await createKeyvSqliteStore({ path: file });
  const started = performance.now();
  for (let i = 0; i < writes; i++) await store.hit(`login:${i % 500}`, 60_000, Date.now());
  const seconds = (performance.now() - started) / 1000;
  await store.close();
  return writes / seconds;
}

const dir = await mkdtemp(join(tmpdir(), 'token-auth-bench-'));
try {
  const before = await keyvWritesPerSecond(join(dir, 'default.sqlite'), []);
  const after = await keyvWritesPerSecond(join(dir, 'tuned.sqlite'), [
    'PRAGMA journal_mode=WAL',
    'PRAGMA synchronous=NORMAL',
  ]);
  const hits = await storeHitsPerSecond(join(dir, 'store.sqlite'));
  const row = (label: string, perSecond: number) =>
    `${label.padEnd(48)} ${Math.round(perSecond).toLocaleString('en')}/s`;
  console.log(`${writes} sequential writes on a file in ${tmpdir()}`);
  console.log(row('keyv.set, @keyv/sqlite defaults', before));
  console.log(row('keyv.set, WAL + synchronous=NORMAL', after));
  console.log(row('store.hit via createKeyvSqliteStore (read + write)', hits));
  console.log(`speed-up from the pragmas: ${(after / before).toFixed(1)}x`);
} finally {
  await rm(dir, { recursive: true, force: true });
}
