#!/usr/bin/env node
// Checks the two system programs the test suite drives for real: a Chromium browser (the
// docs and admin pages are tested in it) and redis-server (the Redis store and the
// multi-process test start their own). On a Debian machine where we are root, the missing
// ones are installed with apt-get; elsewhere the script says what to install and fails.
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';

const needs = [
  { pkg: 'chromium', present: () => existsSync('/usr/bin/chromium') },
  { pkg: 'redis-server', present: () => spawnSync('redis-server', ['--version']).status === 0 },
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
