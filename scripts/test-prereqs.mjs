#!/usr/bin/env node
// Checks the system programs the test suite drives for real: a Chromium browser (the docs
// and admin pages are tested in it), redis-server (the Redis store and the multi-process test
// start their own) and the PostgreSQL server programs (the SQL store tests start their own
// cluster with initdb and pg_ctl). On a Debian machine where we are root, the missing ones are
// installed with apt-get; elsewhere the script says what to install and fails.
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';

/** Where the tests look for initdb and pg_ctl (see the token-auth test helper postgres-server.ts). */
function hasPostgresServer() {
  const dirs = [];
  if (process.env.POSTGRES_BIN_DIR) dirs.push(process.env.POSTGRES_BIN_DIR);
  const pgConfig = spawnSync('pg_config', ['--bindir'], { encoding: 'utf8' });
  if (pgConfig.status === 0) dirs.push(pgConfig.stdout.trim());
  const debianRoot = '/usr/lib/postgresql';
  if (existsSync(debianRoot))
    dirs.push(...readdirSync(debianRoot).map((version) => join(debianRoot, version, 'bin')));
  if (dirs.some((dir) => existsSync(join(dir, 'initdb')) && existsSync(join(dir, 'pg_ctl')))) return true;
  return spawnSync('initdb', ['--version']).status === 0;
}

const needs = [
  { pkg: 'chromium', present: () => existsSync('/usr/bin/chromium') },
  { pkg: 'redis-server', present: () => spawnSync('redis-server', ['--version']).status === 0 },
  { pkg: 'postgresql', present: hasPostgresServer },
];

const missing = needs.filter((need) => !need.present()).map((need) => need.pkg);
if (missing.length === 0) process.exit(0);

const canApt = process.getuid?.() === 0 && spawnSync('apt-get', ['--version']).status === 0;
if (!canApt) {
  console.error(
    `The tests need ${missing.join(' and ')} (Debian packages). Install them, e.g.\n` +
      `  sudo apt-get update && sudo apt-get install -y ${missing.join(' ')}\nthen run npm test again.`,
  );
  process.exit(1);
}
console.error(`Installing the test prerequisites with apt-get: ${missing.join(', ')}`);
const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
execFileSync('apt-get', ['update', '-qq'], { stdio: 'inherit', env });
execFileSync('apt-get', ['install', '-y', '-qq', ...missing], { stdio: 'inherit', env });
