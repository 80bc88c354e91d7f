import { defineProject } from 'vitest/config';

export default defineProject({
  // The oracle tests compare every lookup of thousands of moments: several seconds under
  // coverage on Node 22 and 24, more than vitest's default 5 s on a busy machine.
  test: { name: 'score', include: ['test/**/*.test.ts'], testTimeout: 30_000 },
});
