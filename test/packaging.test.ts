/**
 * The published packages as a user gets them. `npm pack` each one, install the tarballs alone
 * into an empty project outside the repository (npm fetches their real dependencies, so
 * nothing resolves from this repository's node_modules), then:
 *
 * - check what came along: the runtime dependencies, no database driver, nothing that compiles;
 * - import both packages from ESM and CommonJS and use them;
 * - call each store subpath whose driver is missing: a clear error naming the package;
 * - type-check consumers written exactly as the README and the guides write them, under the
 *   `tsc --init` defaults of TypeScript 5.9 (this repository's) and TypeScript 7, as ESM
 *   (`.mts`) and as CommonJS (`.cts`), adding only the file list and `"types": ["node"]`;
 * - run publint --strict and are-the-types-wrong on the packages.
 *
 * Needs the packages built (`npm test` builds first) and the npm registry or npm's cache.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const root = fileURLToPath(new URL('..', import.meta.url));
const bin = (name: string) => join(root, 'node_modules/.bin', name);
const run = (file: string, args: string[], cwd = root) =>
  execFileSync(file, args, { cwd, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });

/** `npm install` in `cwd`, from npm's cache when it has the package; returns npm's output. */
function npmInstall(cwd: string, specs: string[]): string {
  const result = spawnSync(
    'npm',
    ['install', '--no-audit', '--no-fund', '--prefer-offline', '--loglevel=warn', ...specs],
    { cwd, encoding: 'utf8' },
  );
  const output = `${result.stdout}${result.stderr}`;
  if (result.status !== 0) throw new Error(`npm install ${specs.join(' ')} failed in ${cwd}:\n${output}`);
  return output;
}

interface PackResult {
  name: string;
  filename: string;
  files: { path: string }[];
}

const packages = ['@game/score', 'token-auth'] as const;
/** Database drivers (optional peers of token-auth) and native build tools. */
const DRIVERS = ['keyv', '@keyv/sqlite', 'sqlite3', 'ioredis', 'kysely', 'pg', 'better-sqlite3'];
const NATIVE_BUILD = ['node-gyp', 'prebuild-install', 'node-addon-api'];

let scratch: string;
let consumer: string;
let packed: Map<string, PackResult>;
let installOutput: string;
let installed: string[];

/** Names of every package under a node_modules folder, nested ones included. */
function packagesIn(modules: string): string[] {
  if (!existsSync(modules)) return [];
  return readdirSync(modules)
    .filter((name) => !name.startsWith('.'))
    .flatMap((name) =>
      name.startsWith('@') ? readdirSync(join(modules, name)).map((sub) => `${name}/${sub}`) : [name],
    )
    .flatMap((name) => [name, ...packagesIn(join(modules, name, 'node_modules'))]);
}

beforeAll(() => {
  scratch = mkdtempSync(join(tmpdir(), 'game-auth-packaging-'));
  const tarballs = join(scratch, 'tarballs');
  mkdirSync(tarballs);
  const args = ['pack', '--json', '--pack-destination', tarballs, ...packages.flatMap((p) => ['-w', p])];
  const results = JSON.parse(run('npm', args)) as PackResult[];
  packed = new Map(results.map((r) => [r.name, r]));

  consumer = join(scratch, 'consumer');
  mkdirSync(consumer);
  writeFileSync(join(consumer, 'package.json'), JSON.stringify({ name: 'consumer', private: true }));
  installOutput = npmInstall(
    consumer,
    results.map((r) => join(tarballs, r.filename)),
  );
  installed = packagesIn(join(consumer, 'node_modules'));
}, 300_000);

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

describe('the tarballs installed alone in an empty project', () => {
  it('bring token-auth’s runtime dependencies from the registry', () => {
    expect(installed).toEqual(
      expect.arrayContaining(['token-auth', '@game/score', 'jose', 'uuid', '@node-rs/argon2']),
    );
  });

  it('bring no database driver', () => {
    expect(installed.filter((name) => DRIVERS.includes(name))).toEqual([]);
  });

  it('bring nothing that compiles native code, and no install script to approve', () => {
    expect(installed.filter((name) => NATIVE_BUILD.includes(name))).toEqual([]);
    expect(installOutput).not.toMatch(/install.scripts/i);
  });
});

describe('a JavaScript consumer', () => {
  const script = `
    const match = score.generateGame({ seed: 7 });
    const last = match[match.length - 1];
    const final = score.getScore(match, last.offset + 10);
    const store = new auth.MemoryStore();
    const tokens = auth.createTokenAuth({ store, secret: 'x'.repeat(32), passwordHasher: auth.scryptHasher({ cost: 1024 }) });
    const user = await tokens.register({ email: 'a@example.com', password: 'password1' });
    const pair = await tokens.login({ email: 'a@example.com', password: 'password1' }, { clientKey: '203.0.113.7' });
    const claims = await tokens.verifyAccessToken(pair.accessToken);
    console.log(JSON.stringify({ stamps: match.length, final, user: user.id, sub: claims.userId }));
  `;

  it('imports both packages from ESM and uses them', () => {
    const file = join(consumer, 'esm.mjs');
    writeFileSync(
      file,
      `import * as score from '@game/score';\nimport * as auth from 'token-auth';\n${script}`,
    );
    const output = JSON.parse(run(process.execPath, [file], consumer));
    expect(output).toMatchObject({ stamps: 50_001, user: 1, sub: 1 });
  });

  it('requires both packages from CommonJS and uses them', () => {
    const file = join(consumer, 'cjs.cjs');
    writeFileSync(
      file,
      `const score = require('@game/score');\nconst auth = require('token-auth');\n(async () => {${script}})();`,
    );
    const output = JSON.parse(run(process.execPath, [file], consumer));
    expect(output).toMatchObject({ stamps: 50_001, user: 1, sub: 1 });
  });

  // Each store subpath loads without its driver; its factory fails naming what to install.
  const missingDrivers = [
    { subpath: 'token-auth/redis', call: `createRedisStore('redis://127.0.0.1:1')`, driver: 'ioredis' },
    { subpath: 'token-auth/keyv', call: `createKeyvSqliteStore({ path: 'keyv.sqlite' })`, driver: 'keyv' },
    {
      subpath: 'token-auth/sql',
      call: `createSqliteSqlStore({ path: 'sql.sqlite' })`,
      driver: 'better-sqlite3',
    },
    {
      subpath: 'token-auth/sql',
      call: `createPostgresStore({ connectionString: 'postgres://app@127.0.0.1:1/app' })`,
      driver: 'kysely',
    },
  ];
  const cases = ['ESM', 'CommonJS'].flatMap((system) =>
    missingDrivers.map(({ subpath, call, driver }) => [system, subpath, call, driver] as const),
  );

  it.each(cases)('from %s, %s: %s rejects naming the missing driver %s', (system, subpath, call, driver) => {
    const name = call.slice(0, call.indexOf('('));
    const body = `${call}.then(
      () => console.log(JSON.stringify({ resolved: true })),
      (error) => console.log(JSON.stringify({ name: error.name, code: error.code, message: error.message })),
    );`;
    const file = join(consumer, `missing-${name}.${system === 'ESM' ? 'mjs' : 'cjs'}`);
    writeFileSync(
      file,
      system === 'ESM'
        ? `import { ${name} } from '${subpath}';\n${body}`
        : `const { ${name} } = require('${subpath}');\n${body}`,
    );
    const output = JSON.parse(run(process.execPath, [file], consumer));
    expect(output).toEqual({
      name: 'ConfigError',
      code: 'invalid_config',
      message: `${subpath} needs the package "${driver}": npm install ${driver}`,
    });
  });
});

/** The fenced blocks of one language in a Markdown text. */
function codeBlocks(markdown: string, language: string): string[] {
  const fence = new RegExp(`^\`\`\`${language}\\n([\\s\\S]*?)^\`\`\`$`, 'gm');
  return [...markdown.matchAll(fence)].map((match) => match[1] ?? '');
}

/** The first `ts` block after a heading line of a Markdown file of this repository. */
function blockUnder(file: string, heading: string): string {
  const markdown = readFileSync(join(root, file), 'utf8');
  const lines = markdown.split('\n');
  const at = lines.indexOf(heading);
  if (at < 0) throw new Error(`${file} has no heading "${heading}"`);
  const [block] = codeBlocks(lines.slice(at).join('\n'), 'ts');
  if (block === undefined) throw new Error(`${file} has no ts block under "${heading}"`);
  return block;
}

/**
 * The same program as a CommonJS TypeScript file. Under `verbatimModuleSyntax` (a `tsc
 * --init` default) a `.cts` file cannot use `import … from`; it writes `import x = require()`.
 * Top-level await is ESM-only, so the body runs in an async function.
 */
function asCommonJs(esm: string): string {
  const imports: string[] = [];
  let count = 0;
  const body = esm.replace(
    /^import\s+(type\s+)?\{([^}]*)\}\s+from\s+'([^']+)';.*\n/gm,
    (_, typeOnly, names, from) => {
      const module = `module${count++}`;
      imports.push(`import ${module} = require('${from}');`);
      for (const raw of String(names).split(',')) {
        const name = raw.trim();
        if (name === '') continue;
        if (typeOnly || name.startsWith('type ')) {
          const type = name.replace(/^type\s+/, '');
          imports.push(`type ${type} = ${module}.${type};`);
        } else {
          imports.push(`const { ${name} } = ${module};`);
        }
      }
      return '';
    },
  );
  return `${imports.join('\n')}\n\nasync function main(): Promise<void> {\n${body}}\n\nvoid main();\n`;
}

describe('a TypeScript consumer written as the README and the guides write it', () => {
  const compilers = [
    { version: '5.9', tsc: () => bin('tsc') },
    { version: '7', tsc: () => join(scratch, 'typescript-7/node_modules/.bin/tsc') },
  ];
  const systems = ['ESM (.mts)', 'CommonJS (.cts)'] as const;
  const configOf = { 'ESM (.mts)': 'tsconfig.esm.json', 'CommonJS (.cts)': 'tsconfig.cjs.json' };

  beforeAll(() => {
    // The consumer's only additions: the Node.js types its code uses (process, node:http).
    const typesNode = JSON.parse(readFileSync(join(root, 'node_modules/@types/node/package.json'), 'utf8'));
    npmInstall(consumer, ['--save-dev', `@types/node@${typesNode.version}`]);
    const ts7 = join(scratch, 'typescript-7');
    mkdirSync(ts7);
    writeFileSync(join(ts7, 'package.json'), JSON.stringify({ name: 'typescript-7', private: true }));
    npmInstall(ts7, ['typescript@7']);

    const programs = {
      'readme-score': blockUnder('README.md', '## Using `@game/score`'),
      'readme-token-auth': blockUnder('README.md', '## Using `token-auth` in your own app'),
      'getting-started-score': blockUnder('docs/guides/getting-started.md', '### @game/score'),
      'getting-started-token-auth': blockUnder('docs/guides/getting-started.md', '### token-auth'),
    };
    const src = join(consumer, 'src');
    mkdirSync(src);
    for (const [name, code] of Object.entries(programs)) {
      writeFileSync(join(src, `${name}.mts`), code);
      writeFileSync(join(src, `${name}.cts`), asCommonJs(code));
    }
    // The embedding guide's files, under the names it gives them, in an ESM folder. The
    // Express and Fastify sketches need those frameworks: they are not checked here.
    const embedding = join(src, 'embedding');
    mkdirSync(embedding);
    writeFileSync(join(embedding, 'package.json'), JSON.stringify({ type: 'module' }));
    const guide = readFileSync(join(root, 'docs/guides/embedding.md'), 'utf8');
    const guideFiles: string[] = [];
    for (const block of codeBlocks(guide, 'ts')) {
      const name = /^\/\/ ([\w-]+\.ts)\n/.exec(block)?.[1];
      if (name === undefined || /from '(express|fastify)'/.test(block)) continue;
      writeFileSync(join(embedding, name), block);
      guideFiles.push(`../src/embedding/${name}`);
    }
    expect(guideFiles).toEqual(
      expect.arrayContaining(
        ['auth.ts', 'http-mapping.ts', 'node-server.ts'].map((f) => `../src/embedding/${f}`),
      ),
    );

    for (const { version, tsc } of compilers) {
      const dir = join(consumer, `typescript-${version}`);
      mkdirSync(dir);
      run(tsc(), ['--init'], dir);
      const names = Object.keys(programs);
      const files = {
        'ESM (.mts)': [...names.map((name) => `../src/${name}.mts`), ...guideFiles],
        'CommonJS (.cts)': names.map((name) => `../src/${name}.cts`),
      };
      for (const system of systems) {
        // Exactly `tsc --init`'s options, plus the files and the Node.js types.
        const config = {
          extends: './tsconfig.json',
          compilerOptions: { types: ['node'] },
          files: files[system],
        };
        writeFileSync(join(dir, configOf[system]), JSON.stringify(config, null, 2));
      }
    }
  }, 300_000);

  it.each(compilers.map(({ version }) => version))(
    'TypeScript %s’s `tsc --init` is the strict, exactOptionalPropertyTypes, nodenext config checked here',
    (version) => {
      const config = readFileSync(join(consumer, `typescript-${version}`, 'tsconfig.json'), 'utf8');
      for (const option of ['"strict": true', '"exactOptionalPropertyTypes": true', '"module": "nodenext"']) {
        expect(config).toContain(option);
      }
    },
  );

  it.each(compilers.flatMap(({ version }) => systems.map((system) => [version, system] as const)))(
    'type-checks under TypeScript %s’s `tsc --init` defaults as %s',
    (version, system) => {
      const tsc = compilers.find((c) => c.version === version)?.tsc() ?? '';
      const dir = join(consumer, `typescript-${version}`);
      const result = spawnSync(tsc, ['-p', configOf[system], '--noEmit'], {
        cwd: dir,
        encoding: 'utf8',
      });
      expect(`${result.stdout}${result.stderr}`).toBe('');
      expect(result.status).toBe(0);
    },
  );
});

describe('package linters', () => {
  it.each(packages)('publint --strict finds nothing to fix in %s', (name) => {
    const output = run(bin('publint'), ['--strict', join(consumer, 'node_modules', name)]);
    expect(output).not.toMatch(/error|warning/i);
  });

  it.each(packages)('are-the-types-wrong passes for %s', (name) => {
    const tarball = join(scratch, 'tarballs', packed.get(name)?.filename ?? '');
    expect(() => run(bin('attw'), [tarball, '--profile', 'node16', '--format', 'ascii'])).not.toThrow();
  });
});
