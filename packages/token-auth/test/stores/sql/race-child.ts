/**
 * One process of the multi-process tests: opens the SQL store at the URL it is given, says
 * `ready`, waits for a line on stdin, makes one call and prints its outcome as JSON.
 *
 * Usage: node --import tsx race-child.ts '{"url": "...", "call": "rotate", "hash": "...", "now": 0}'
 *        node --import tsx race-child.ts '{"url": "...", "call": "createUser", "email": "..."}'
 */

import { once } from 'node:events';
import { createInterface } from 'node:readline';
import { createSqlStore } from '../../../src/stores/sql/index.js';
import { newHead, newUser } from '../../../src/testing/fixtures.js';

interface Task {
  url: string;
  call: 'rotate' | 'createUser';
  hash?: string;
  now?: number;
  email?: string;
}

const task = JSON.parse(process.argv[2] ?? '{}') as Task;
const store = await createSqlStore({ url: task.url, purgeIntervalMs: 0 });
const lines = createInterface({ input: process.stdin });
process.stdout.write('ready\n');
await once(lines, 'line');

let outcome: string;
try {
  if (task.call === 'rotate') {
    const now = task.now ?? 0;
    outcome = (await store.rotate(task.hash ?? '', newHead(now + 60_000), now)).status;
  } else {
    await store.createUser(newUser(task.email ?? ''));
    outcome = 'created';
  }
} catch (error) {
  outcome = (error as { code?: string }).code ?? String(error);
}
process.stdout.write(`${JSON.stringify({ outcome })}\n`);
lines.close();
await store.close();
