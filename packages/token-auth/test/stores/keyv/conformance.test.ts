import { join } from 'node:path';
import { Keyv } from 'keyv';
import { describe, it } from 'vitest';
import { createKeyvSqliteStore, type KeyvSqliteStore, KeyvStore } from '../../../src/stores/keyv/index.js';
import { runStoreConformanceSuite } from '../../../src/testing/index.js';
import { FailingAdapter, makeTempDir } from '../fixtures.js';

runStoreConformanceSuite(
  'KeyvStore over a Map',
  {
    create: () => ({ store: new KeyvStore(new Keyv()) }),
    countRecords: async ({ store }, now) => {
      await store.sweep(now);
      const keys = [...(store.keyv.store as Map<string, unknown>).keys()];
      return keys.filter((key) => key.includes(store.keyPrefix)).length;
    },
    breakBackend: ({ store }) => {
      const down = new FailingAdapter();
      down.broken = true;
      store.keyv.store = down;
    },
  },
  { describe, it },
);

interface SqliteFixture {
  store: KeyvSqliteStore;
  file: string;
  remove: () => Promise<void>;
}

runStoreConformanceSuite<SqliteFixture>(
  'KeyvStore over a SQLite file',
  {
    async create() {
      const { dir, remove } = await makeTempDir();
      const file = join(dir, 'auth.sqlite');
      return { store: await createKeyvSqliteStore({ path: file }), file, remove };
    },
    reopen: ({ file }) => createKeyvSqliteStore({ path: file }),
    destroy: ({ remove }) => remove(),
    countRecords: async ({ store }, now) => {
      await store.sweep(now);
      const [row] = (await store.adapter.query('SELECT COUNT(*) AS n FROM keyv')) as { n: number }[];
      return row?.n ?? 0;
    },
    // Closing the adapter's connection under the store: every later statement fails.
    breakBackend: ({ store }) => store.adapter.close(),
  },
  { describe, it },
);
