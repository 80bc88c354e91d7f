import { defineConfig } from 'tsup';

// One ESM bundle of the server; every dependency (token-auth and @game/score included)
// stays external and is loaded from node_modules at run time.
export default defineConfig({
  entry: ['src/main.ts', 'src/cluster.ts'], // cluster.ts: node:cluster launcher (scale-out)
  format: ['esm'],
  target: 'node20',
  platform: 'node',
  sourcemap: true,
  clean: true,
  dts: false,
  splitting: false,
});
