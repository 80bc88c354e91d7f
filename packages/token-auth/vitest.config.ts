import { defineProject } from 'vitest/config';

export default defineProject({
  test: { name: 'token-auth', include: ['test/**/*.test.ts'], testTimeout: 30_000 },
});
