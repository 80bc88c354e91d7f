#!/usr/bin/env node
/**
 * The `token-auth` bin: `token-auth migrate up|status [--url URL]` (see `--help`).
 *
 * @module
 */

import { runCli } from './stores/sql/cli.js';

runCli(process.argv.slice(2), { env: process.env, stdout: process.stdout, stderr: process.stderr }).then(
  (status) => {
    process.exitCode = status;
  },
  (error: unknown) => {
    process.stderr.write(`token-auth: ${error instanceof Error ? error.message : String(error)}\n`);
    process.exitCode = 1;
  },
);
