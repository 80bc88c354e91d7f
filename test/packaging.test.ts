/**
 * The published packages as a user gets them: `npm pack` each one, unpack the tarballs
 * into a scratch consumer project, then import them from ESM and CommonJS, type-check an
 * ESM and a CommonJS TypeScript consumer, and run publint and are-the-types-wrong on the
 * tarballs. Needs the packages built (the root `npm test` builds first).
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const root = new URL('..', import.meta.url).pathname;
const bin = (name: string) => join(root, 'node_modules/.bin', name);
const run = (file: string, args: string[], cwd = root) =>
  execFileSync(file, args, { cwd, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });

interface PackResult {
  name: string;
  filename: string;
  files: { path: string }[];
}

const packages = ['@game/score', 'token-auth'] as const;
let scratch: string;
let packed: Map<string, PackResult>;

beforeAll(() => {
  // Inside the repository, so the consumer resolves the packages' own dependencies
  // (jose, keyv, …) from the root node_modules exactly as an install would provide them.
  scratch = mkdtempSync(join(root, '.consumer-'));
  const tarballs = join(scratch, 'tarballs');
  mkdirSync(tarballs);
  const args = ['pack', '--json', '--pack-destination', tarballs, ...packages.flatMap((p) => ['-w', p])];
  const results = JSON.parse(run('npm', args)) as PackResult[];
  packed = new Map(results.map((r) => [r.name, r]));
  for (const result of results) {
    const target = join(scratch, 'node_modules', result.name);
    mkdirSync(target, { recursive: true });
    run('tar', ['-xzf', join(tarballs, result.filename), '-C', target, '--strip-components=1']);
  }
  writeFileSync(join(scratch, 'package.json'), JSON.stringify({ name: 'consumer', private: true }));
}, 120_000);

afterAll(() => {
  if (scratch) rmSync(scratch, { recursive: true, force: true });
});

describe('npm pack', () => {
  it.each(packages)(
    '%s ships only built code, types, README, CHANGELOG, LICENSE and package.json',
    (name) => {
      const files = packed.get(name)?.files.map((f) => f.path) ?? [];
      expect(files.length).toBeGreaterThan(3);
      const unexpected = files.filter(
        (path) =>
          !/^(dist\/.+\.(js|cjs|d\.ts|d\.cts|js\.map|cjs\.map)|README\.md|CHANGELOG\.md|LICENSE|package\.json)$/.test(
            path,
          ),
      );
      expect(unexpected).toEqual([]);
      expect(files).toEqual(expect.arrayContaining(['README.md', 'CHANGELOG.md', 'LICENSE', 'package.json']));
    },
  );
});

describe('a consumer project', () => {
  const script = `
    const match = score.generateGame({ seed: 7 });
    const last = match[match.length - 1];
    const final = score.getScore(match, last.offset + 10);
    const store = new auth.MemoryStore();
    const tokens = auth.createTokenAuth({ store, secret: 'x'.repeat(32), passwordHasher: auth.scryptHasher({ cost: 1024 }) });
    const user = await tokens.register({ email: 'a@example.com', password: 'password1' });
    const pair = await tokens.login({ email: 'a@example.com', password: 'password1' });
    const claims = await tokens.verifyAccessToken(pair.accessToken);
    console.log(JSON.stringify({ stamps: match.length, final, user: user.id, sub: claims.userId }));
  `;

  it('imports both packages from ESM and uses them', () => {
    const file = join(scratch, 'esm.mjs');
    writeFileSync(
      file,
      `import * as score from '@game/score';\nimport * as auth from 'token-auth';\n${script}`,
    );
    const output = JSON.parse(run(process.execPath, [file], scratch));
    expect(output).toMatchObject({ stamps: 50_001, user: 1, sub: 1 });
  });

  it('requires both packages from CommonJS and uses them', () => {
    const file = join(scratch, 'cjs.cjs');
    writeFileSync(
      file,
      `const score = require('@game/score');\nconst auth = require('token-auth');\n(async () => {${script}})();`,
    );
    const output = JSON.parse(run(process.execPath, [file], scratch));
    expect(output).toMatchObject({ stamps: 50_001, user: 1, sub: 1 });
  });

  it('type-checks an ESM and a CommonJS TypeScript consumer', () => {
    const body = `
      const match: Stamp[] = generateGame({ seed: 1 });
      const now: { home: number; away: number } = getScore(match, 10);
      const store: TokenAuthStore = new MemoryStore();
      const auth: TokenAuth = createTokenAuth({ store, secret: 'x'.repeat(32) });
      export const used = [now, auth] as const;
    `;
    const imports = (from: string) =>
      `import { generateGame, getScore, type Stamp } from '@game/score';\n` +
      `import { createTokenAuth, MemoryStore, type TokenAuth, type TokenAuthStore } from '${from}';\n`;
    writeFileSync(join(scratch, 'consumer.mts'), imports('token-auth') + body);
    writeFileSync(join(scratch, 'consumer.cts'), imports('token-auth') + body);
    writeFileSync(
      join(scratch, 'tsconfig.json'),
      JSON.stringify({
        compilerOptions: {
          module: 'node16',
          moduleResolution: 'node16',
          target: 'es2022',
          strict: true,
          noEmit: true,
          skipLibCheck: false,
          types: ['node'],
          typeRoots: [join(root, 'node_modules/@types')],
        },
        files: ['consumer.mts', 'consumer.cts'],
      }),
    );
    expect(() => run(bin('tsc'), ['-p', join(scratch, 'tsconfig.json')], scratch)).not.toThrow();
  });
});

describe('package linters', () => {
  it.each(packages)('publint finds nothing to fix in %s', (name) => {
    const output = run(bin('publint'), ['--strict', join(scratch, 'node_modules', name)]);
    expect(output).not.toMatch(/error|warning/i);
  });

  it.each(packages)('are-the-types-wrong passes for %s', (name) => {
    const tarball = join(scratch, 'tarballs', packed.get(name)?.filename ?? '');
    expect(() => run(bin('attw'), [tarball, '--profile', 'node16', '--format', 'ascii'])).not.toThrow();
  });
});
