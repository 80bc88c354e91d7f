import { fileURLToPath } from 'node:url';
import { defineProject } from 'vitest/config';

// Tests run against the workspace packages' sources (no build needed); the runtime
// (`npm start`) uses their built `dist/`. Exact-match aliases, so that `token-auth/redis`
// does not become `.../index.ts/redis`.
const source = (path: string): string => fileURLToPath(new URL(path, import.meta.url));

export default defineProject({
  resolve: {
    alias: [
      { find: /^token-auth$/, replacement: source('../../packages/token-auth/src/index.ts') },
      ...['keyv', 'redis', 'sql'].map((name) => ({
        find: new RegExp(`^token-auth/${name}$`),
        replacement: source(`../../packages/token-auth/src/stores/${name}/index.ts`),
      })),
      {
        find: /^token-auth\/testing$/,
        replacement: source('../../packages/token-auth/src/testing/index.ts'),
      },
      { find: /^@game\/score$/, replacement: source('../../packages/score/src/index.ts') },
    ],
  },
  test: {
    name: 'koa-server',
    include: ['test/**/*.test.ts'],
    testTimeout: 60_000,
    hookTimeout: 60_000,
  },
});
