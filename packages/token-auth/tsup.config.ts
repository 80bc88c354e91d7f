import { defineConfig } from 'tsup';

export default defineConfig({
  entry: {
    index: 'src/index.ts',
    testing: 'src/testing/index.ts',
    keyv: 'src/stores/keyv/index.ts',
    redis: 'src/stores/redis/index.ts',
    sql: 'src/stores/sql/index.ts',
    cli: 'src/cli.ts',
  },
  format: ['esm', 'cjs'],
  // Shared chunks in CJS too, so every subpath shares one copy of the error classes
  // (`instanceof ConfigError` holds across `token-auth` and `token-auth/redis`).
  splitting: true,
  // Class names survive bundling (an error's `name` is its class's name, also in CJS chunks).
  keepNames: true,
  dts: true,
  sourcemap: true,
  clean: true,
  target: 'node20',
  // import.meta.url in the CommonJS build too (the SQL store resolves better-sqlite3 for its worker).
  shims: true,
});
