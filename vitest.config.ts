import { availableParallelism } from 'node:os';
import { defineConfig } from 'vitest/config';

// One run for the whole repo: each workspace keeps its own vitest.config.ts (a "project"),
// coverage is collected once and its thresholds are enforced per package.
export default defineConfig({
  test: {
    // Two test files at a time even on two cores (vitest's default there is one): most files
    // spend their time waiting on child processes, servers and a browser; 297 s -> 212 s.
    maxWorkers: Math.max(2, availableParallelism() - 1),
    projects: [
      'packages/*',
      'examples/*',
      { test: { name: 'repo', include: ['test/**/*.test.ts'], testTimeout: 120_000, hookTimeout: 180_000 } },
    ],
    coverage: {
      provider: 'v8',
      include: ['packages/*/src/**/*.ts'],
      exclude: ['**/*.d.ts'],
      reporter: ['text-summary', 'text'],
      thresholds: {
        'packages/score/src/**': { lines: 100, branches: 100, functions: 100, statements: 100 },
        // token-auth: a floor just under what the suite reaches, so coverage cannot silently drop.
        'packages/token-auth/src/**': { lines: 97, branches: 88, functions: 98, statements: 96 },
      },
    },
  },
});
