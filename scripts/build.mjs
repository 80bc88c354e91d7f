#!/usr/bin/env node
/**
 * Builds the workspaces (each one's own `npm run build`, tsup), quietly: one line per
 * workspace, the tool's output only when a build fails.
 *
 * With `--if-changed` (what `npm install`, `npm start` and `npm test` use) a workspace is
 * rebuilt only when its build inputs changed since its last build by this script: a hash of
 * the file contents (src/, its package.json, tsup and TypeScript configs, the root
 * tsconfig.base.json and package-lock.json, this script) is kept in node_modules/.cache,
 * with the size and modification time of every file the build wrote to dist/. Contents decide,
 * so a fresh clone, a checkout, an edit or a deleted or rewritten dist/ all rebuild, and a
 * touched but unchanged file does not. One exception, as make does it: a complete dist/ written
 * after the last change of every input (by `npx tsup` or `npm run build` in the workspace) is
 * adopted rather than redone. An unchanged checkout starts in well under a second instead of
 * rebuilding for 12-15 s.
 *
 * The three workspaces do not build from one another's output (koa-server's bundle keeps
 * token-auth and @game/score external), so the stale ones build in parallel.
 *
 * `--check` builds nothing: it lists the workspaces that need a build and fails if any does.
 *
 * Usage: node scripts/build.mjs [--if-changed | --check] [--verbose]
 * Exit status: 0 when every workspace is built, 1 otherwise.
 */

import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const check = process.argv.includes('--check');
const ifChanged = check || process.argv.includes('--if-changed');
const verbose = process.argv.includes('--verbose');
const stampDir = join(root, 'node_modules/.cache/game-auth-build');

/** Inputs shared by every workspace's build. */
const SHARED_INPUTS = ['tsconfig.base.json', 'package-lock.json', 'scripts/build.mjs'];
/** Inputs of one workspace, relative to its directory (directories are walked). */
const WORKSPACE_INPUTS = ['src', 'package.json', 'tsup.config.ts', 'tsconfig.json'];

/** Every file under `path` (or `path` itself), absolute, sorted. */
function files(path) {
  if (!existsSync(path)) return [];
  if (!statSync(path).isDirectory()) return [path];
  return readdirSync(path, { withFileTypes: true })
    .sort((a, b) => (a.name < b.name ? -1 : 1))
    .flatMap((entry) => files(join(path, entry.name)));
}

/** A hash of the names and contents of a workspace's build inputs, and their newest mtime. */
function inputState(dir) {
  const hash = createHash('sha256');
  let newest = 0;
  const paths = [
    ...SHARED_INPUTS.map((path) => join(root, path)),
    ...WORKSPACE_INPUTS.flatMap((path) => files(join(root, dir, path))),
  ];
  for (const path of paths) {
    if (!existsSync(path)) continue;
    newest = Math.max(newest, statSync(path).mtimeMs);
    hash.update(`${relative(root, path)}\0`);
    hash.update(readFileSync(path));
    hash.update('\0');
  }
  return { inputs: hash.digest('hex'), newestInput: newest };
}

/** Size and modification time of every file in a workspace's dist/. */
function outputs(dir) {
  const dist = join(root, dir, 'dist');
  return Object.fromEntries(
    files(dist).map((path) => {
      const { size, mtimeMs } = statSync(path);
      return [relative(dist, path), [size, mtimeMs]];
    }),
  );
}

function stampPath(name) {
  return join(stampDir, `${name.replace(/[@/]/g, '_')}.json`);
}

/** Every `./dist/…` file the workspace's package.json points at (exports, main, types, bin). */
function declaredOutputs(dir) {
  const manifest = JSON.parse(readFileSync(join(root, dir, 'package.json'), 'utf8'));
  const leaves = (value) =>
    typeof value === 'string' ? [value] : Object.values(value ?? {}).flatMap((child) => leaves(child));
  const fields = [manifest.exports, manifest.main, manifest.module, manifest.types, manifest.bin];
  return fields.flatMap(leaves).filter((path) => path.startsWith('./dist/'));
}

/**
 * Whether dist/ was written, complete, after the last change of any input: a build made some
 * other way (`npx tsup` or `npm run build` in the workspace). Such a build is adopted, as make
 * would, instead of being redone.
 */
function builtAfterInputs(workspace) {
  const times = Object.values(outputs(workspace.dir)).map(([, mtimeMs]) => mtimeMs);
  if (times.length === 0) return false;
  if (!declaredOutputs(workspace.dir).every((path) => existsSync(join(root, workspace.dir, path))))
    return false;
  return Math.min(...times) > workspace.newestInput;
}

function writeStamp(workspace) {
  mkdirSync(stampDir, { recursive: true });
  const stamp = { inputs: workspace.inputs, outputs: outputs(workspace.dir) };
  writeFileSync(stampPath(workspace.name), `${JSON.stringify(stamp)}\n`);
}

/** Why a workspace needs a build, or undefined when its dist/ is current. */
function staleness(workspace) {
  const reason = stampStaleness(workspace);
  if (reason === undefined) return undefined;
  if (!builtAfterInputs(workspace)) return reason;
  if (!check) writeStamp(workspace);
  return undefined;
}

/** Why the stamp of the last build by this script does not match, or undefined. */
function stampStaleness(workspace) {
  let stamp;
  try {
    stamp = JSON.parse(readFileSync(stampPath(workspace.name), 'utf8'));
  } catch {
    return 'not built yet';
  }
  if (stamp.inputs !== workspace.inputs) return 'sources changed';
  const recorded = Object.entries(stamp.outputs ?? {});
  const current = outputs(workspace.dir);
  if (recorded.length === 0 || recorded.length !== Object.keys(current).length) return 'dist changed';
  for (const [file, [size, mtimeMs]] of recorded) {
    const now = current[file];
    if (now === undefined || now[0] !== size || now[1] !== mtimeMs) return 'dist changed';
  }
  return undefined;
}

/** Runs the workspace's build script; resolves with its exit code and output. */
function runBuild(workspace) {
  return new Promise((resolve) => {
    const child = spawn('npm', ['run', 'build', '--workspace', workspace.name], {
      cwd: root,
      stdio: verbose ? 'inherit' : ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    child.stdout?.on('data', (chunk) => {
      output += chunk;
    });
    child.stderr?.on('data', (chunk) => {
      output += chunk;
    });
    child.on('error', (error) => resolve({ code: 1, output: `${output}${error.message}\n` }));
    child.on('close', (code) => resolve({ code: code ?? 1, output }));
  });
}

const rootPackage = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'));
const workspaces = rootPackage.workspaces.map((dir) => {
  const { name } = JSON.parse(readFileSync(join(root, dir, 'package.json'), 'utf8'));
  return { name, dir, ...inputState(dir) };
});

const todo = workspaces
  .map((workspace) => ({ ...workspace, reason: ifChanged ? staleness(workspace) : 'requested' }))
  .filter((workspace) => workspace.reason !== undefined);
if (todo.length === 0) process.exit(0);
if (check) {
  console.error(`build: not current: ${todo.map((w) => `${w.name} (${w.reason})`).join(', ')}`);
  process.exit(1);
}

const started = performance.now();
console.error(`build: ${todo.map((w) => `${w.name} (${w.reason})`).join(', ')}`);
mkdirSync(stampDir, { recursive: true });
for (const workspace of todo) rmSync(stampPath(workspace.name), { force: true });
const results = await Promise.all(
  todo.map(async (workspace) => ({ workspace, ...(await runBuild(workspace)) })),
);

let failed = false;
for (const { workspace, code, output } of results) {
  if (code === 0) {
    writeStamp(workspace);
  } else {
    failed = true;
    console.error(`build: ${workspace.name} failed (exit ${code}):\n${output}`);
  }
}
if (failed) process.exit(1);
console.error(`build: done in ${((performance.now() - started) / 1000).toFixed(1)} s`);
